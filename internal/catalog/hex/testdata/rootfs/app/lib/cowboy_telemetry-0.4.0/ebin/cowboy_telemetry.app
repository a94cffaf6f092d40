{application,cowboy_telemetry,
             [{description,"Telemetry instrumentation for Cowboy"},
              {vsn,"0.4.0"},
              {registered,[]},
              {applications,[kernel,stdlib,cowboy,telemetry]},
              {env,[]},
              {modules,[cowboy_telemetry_h]},
              {licenses,["Apache 2.0"]},
              {links,[]}]}.
