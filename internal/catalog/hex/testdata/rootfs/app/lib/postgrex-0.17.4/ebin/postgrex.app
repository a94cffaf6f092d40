{application,postgrex,
             [{modules,['Elixir.Postgrex','Elixir.Postgrex.App','Elixir.Postgrex.Extension','Elixir.Postgrex.Protocol','Elixir.Postgrex.Query','Elixir.Postgrex.Result','Elixir.Postgrex.Types']},
              {optional_applications,[]},
              {applications,[kernel,stdlib,elixir,logger,crypto,ssl,decimal,db_connection,jason]},
              {description,"PostgreSQL driver for Elixir"},
              {registered,[]},
              {vsn,"0.17.4"},
              {mod,{'Elixir.Postgrex.App',[]}},
              {env,[{type_server_reap_after,180000},{json_library,'Elixir.Jason'}]}]}.
