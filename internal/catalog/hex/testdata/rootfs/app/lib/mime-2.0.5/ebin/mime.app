{application,mime,
             [{modules,['Elixir.MIME']},
              {optional_applications,[]},
              {applications,[kernel,stdlib,elixir,logger]},
              {description,"A MIME type module for Elixir"},
              {registered,[]},
              {vsn,"2.0.5"},
              {env,[]}]}.
