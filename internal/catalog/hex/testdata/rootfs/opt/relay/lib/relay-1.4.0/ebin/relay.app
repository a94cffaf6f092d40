{application,relay,
             [{description,"Relay: message relay service"},
              {vsn,"1.4.0"},
              {registered,[]},
              {mod,{relay_app,[]}},
              {applications,[kernel,stdlib,sasl,cowboy,jsx,hackney,lager,recon,relay_core]},
              {env,[{port,8080},{pool_size,16}]},
              {modules,[relay_app,relay_sup,relay_http]}]}.
