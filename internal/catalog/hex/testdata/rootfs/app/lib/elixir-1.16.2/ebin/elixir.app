{application,elixir,
             [{modules,['Elixir.Elixir']},
              {optional_applications,[]},
              {applications,[kernel,stdlib]},
              {description,"elixir"},
              {registered,[]},
              {vsn,"1.16.2"},
              {env,[]}]}.
