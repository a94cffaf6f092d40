{application,elixir,
             [{description,"elixir"},
              {vsn,"1.16.2"},
              {modules,[]},
              {registered,[]},
              {applications,[kernel,stdlib,compiler]},
              {env,[]}]}.
