{application,ecto_sql,
             [{modules,['Elixir.Ecto.Adapters.SQL','Elixir.Ecto.Migration','Elixir.Ecto.Migrator']},
              {optional_applications,[]},
              {applications,[kernel,stdlib,elixir,logger,ecto,telemetry,db_connection,postgrex]},
              {description,"SQL-based adapters for Ecto and database migrations"},
              {registered,[]},
              {vsn,"3.11.1"},
              {mod,{'Elixir.Ecto.Adapters.SQL.Application',[]}},
              {env,[{postgres_map_type,<<"jsonb">>}]}]}.
