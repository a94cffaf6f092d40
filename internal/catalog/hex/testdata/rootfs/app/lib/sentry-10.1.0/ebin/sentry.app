{application,sentry,
             [{modules,['Elixir.Sentry','Elixir.Sentry.Application','Elixir.Sentry.Client','Elixir.Sentry.Config','Elixir.Sentry.Event','Elixir.Sentry.LoggerHandler','Elixir.Sentry.Transport']},
              {optional_applications,[]},
              {applications,[kernel,stdlib,elixir,logger,jason,nimble_options,plug]},
              {description,"The Official Elixir client for Sentry"},
              {registered,[]},
              {vsn,"10.1.0"},
              {mod,{'Elixir.Sentry.Application',[]}},
              {env,[]}]}.
