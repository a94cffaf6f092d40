{application,castore,
             [{modules,['Elixir.CAStore']},
              {optional_applications,[]},
              {applications,[kernel,stdlib,elixir,logger]},
              {description,"Up-to-date CA certificate store."},
              {registered,[]},
              {vsn,"1.0.5"},
              {env,[]}]}.
