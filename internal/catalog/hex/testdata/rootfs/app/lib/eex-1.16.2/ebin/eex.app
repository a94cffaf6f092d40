{application,eex,
             [{modules,['Elixir.Eex']},
              {optional_applications,[]},
              {applications,[kernel,stdlib,elixir]},
              {description,"eex"},
              {registered,[]},
              {vsn,"1.16.2"},
              {env,[]}]}.
