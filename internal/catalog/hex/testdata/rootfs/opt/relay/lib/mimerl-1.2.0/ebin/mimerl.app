{application,mimerl,
             [{description,"Library to handle mimetypes"},
              {vsn,"1.2.0"},
              {registered,[]},
              {applications,[kernel,stdlib]},
              {env,[]},
              {modules,[mimerl]}]}.
