{application,db_connection,
             [{modules,['Elixir.DBConnection','Elixir.DBConnection.App','Elixir.DBConnection.Backoff','Elixir.DBConnection.Connection','Elixir.DBConnection.ConnectionPool','Elixir.DBConnection.Holder','Elixir.DBConnection.Ownership','Elixir.DBConnection.Query']},
              {optional_applications,[]},
              {applications,[kernel,stdlib,elixir,logger,telemetry]},
              {description,"Database connection behaviour for database transactions and connection pooling"},
              {registered,[]},
              {vsn,"2.6.0"},
              {mod,{'Elixir.DBConnection.App',[]}},
              {env,[]}]}.
