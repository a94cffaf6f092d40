{application,ecto,
             [{modules,['Elixir.Ecto','Elixir.Ecto.Adapter','Elixir.Ecto.Changeset','Elixir.Ecto.Query','Elixir.Ecto.Repo','Elixir.Ecto.Schema','Elixir.Ecto.Type','Elixir.Ecto.UUID']},
              {optional_applications,[]},
              {applications,[kernel,stdlib,elixir,logger,eex,crypto,telemetry,decimal,jason]},
              {description,"A toolkit for data mapping and language integrated query for Elixir"},
              {registered,[]},
              {vsn,"3.11.1"},
              {mod,{'Elixir.Ecto.Application',[]}},
              {env,[{json_library,'Elixir.Jason'}]}]}.
