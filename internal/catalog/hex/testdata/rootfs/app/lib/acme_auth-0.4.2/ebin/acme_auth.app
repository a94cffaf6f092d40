{application,acme_auth,
             [{modules,['Elixir.AcmeAuth','Elixir.AcmeAuth.Plug','Elixir.AcmeAuth.Token']},
              {optional_applications,[]},
              {applications,[kernel,stdlib,elixir,logger,jason,plug]},
              {description,"Acme's shared authentication plugs"},
              {registered,[]},
              {vsn,"0.4.2"},
              {env,[]}]}.
