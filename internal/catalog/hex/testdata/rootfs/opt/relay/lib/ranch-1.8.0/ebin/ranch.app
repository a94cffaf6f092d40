{application,ranch,
             [{description,"Socket acceptor pool for TCP protocols."},
              {vsn,"1.8.0"},
              {registered,[]},
              {mod,{ranch_app,[]}},
              {applications,[kernel,stdlib,ssl]},
              {env,[]},
              {modules,[ranch,ranch_app,ranch_sup,ranch_tcp]}]}.
