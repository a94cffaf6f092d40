{application,cowboy,
             [{description,"Small, fast, modern HTTP server."},
              {vsn,"2.10.0"},
              {registered,[]},
              {mod,{cowboy_app,[]}},
              {applications,[kernel,stdlib,crypto,cowlib,ranch]},
              {env,[]},
              {modules,[cowboy,cowboy_app,cowboy_req,cowboy_router,cowboy_sup]}]}.
