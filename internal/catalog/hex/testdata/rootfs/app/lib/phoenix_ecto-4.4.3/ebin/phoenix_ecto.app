{application,phoenix_ecto,
             [{modules,['Elixir.Phoenix.Ecto','Elixir.Phoenix.Ecto.CheckRepoStatus','Elixir.Phoenix.Ecto.SQL.Sandbox','Elixir.Phoenix.Ecto.StorageNotCreatedError']},
              {optional_applications,[]},
              {applications,[kernel,stdlib,elixir,logger,ecto,plug,phoenix_html]},
              {description,"Integration between Phoenix & Ecto"},
              {registered,[]},
              {vsn,"4.4.3"},
              {mod,{'Elixir.Phoenix.Ecto',[]}},
              {env,[{exclude_ecto_exceptions_from_plug,[]}]}]}.
