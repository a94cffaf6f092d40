{application,phoenix_live_view,
             [{modules,['Elixir.Phoenix.LiveView','Elixir.Phoenix.LiveView.Channel','Elixir.Phoenix.LiveView.Diff','Elixir.Phoenix.LiveView.Engine','Elixir.Phoenix.LiveView.Router','Elixir.Phoenix.LiveView.Socket','Elixir.Phoenix.LiveView.Static','Elixir.Phoenix.LiveView.Utils']},
              {optional_applications,[]},
              {applications,[kernel,stdlib,elixir,logger,phoenix,plug,phoenix_html,phoenix_template,telemetry,jason]},
              {description,"Rich, real-time user experiences with server-rendered HTML\n"},
              {registered,[]},
              {vsn,"0.20.2"},
              {mod,{'Elixir.Phoenix.LiveView.Application',[]}},
              {env,[]}]}.
