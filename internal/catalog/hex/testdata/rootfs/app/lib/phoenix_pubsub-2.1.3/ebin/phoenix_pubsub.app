{application,phoenix_pubsub,
             [{modules,['Elixir.Phoenix.PubSub','Elixir.Phoenix.PubSub.Adapter','Elixir.Phoenix.PubSub.Application','Elixir.Phoenix.PubSub.PG2','Elixir.Phoenix.PubSub.Supervisor']},
              {optional_applications,[]},
              {applications,[kernel,stdlib,elixir,logger,crypto]},
              {description,"Distributed PubSub and Presence platform"},
              {registered,[]},
              {vsn,"2.1.3"},
              {mod,{'Elixir.Phoenix.PubSub.Application',[]}},
              {env,[]}]}.
