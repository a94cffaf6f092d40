{application,websock,
             [{modules,['Elixir.WebSock']},
              {optional_applications,[]},
              {applications,[kernel,stdlib,elixir,logger]},
              {description,"A specification for WebSocket connections"},
              {registered,[]},
              {vsn,"0.5.3"},
              {env,[]}]}.
