{application,relay_core,
             [{description,"Relay core routing"},
              {vsn,"1.4.0"},
              {registered,[]},
              {applications,[kernel,stdlib,jsx]},
              {env,[]},
              {modules,[relay_core,relay_router,relay_queue]}]}.
