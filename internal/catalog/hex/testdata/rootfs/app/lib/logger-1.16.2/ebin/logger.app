{application,logger,
             [{modules,['Elixir.Logger']},
              {optional_applications,[]},
              {applications,[kernel,stdlib,elixir]},
              {description,"logger"},
              {registered,[]},
              {vsn,"1.16.2"},
              {env,[]}]}.
