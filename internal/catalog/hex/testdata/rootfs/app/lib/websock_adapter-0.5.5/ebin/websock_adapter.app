{application,websock_adapter,
             [{modules,['Elixir.WebSockAdapter','Elixir.WebSockAdapter.CowboyAdapter','Elixir.WebSockAdapter.UpgradeError','Elixir.WebSockAdapter.UpgradeValidation']},
              {optional_applications,[]},
              {applications,[kernel,stdlib,elixir,logger,websock,plug,plug_cowboy]},
              {description,"A set of WebSock adapters for common web servers"},
              {registered,[]},
              {vsn,"0.5.5"},
              {env,[]}]}.
