{application,phoenix_template,
             [{modules,['Elixir.Phoenix.Template','Elixir.Phoenix.Template.EExEngine','Elixir.Phoenix.Template.Engine','Elixir.Phoenix.Template.ExsEngine','Elixir.Phoenix.Template.HTML','Elixir.Phoenix.Template.UndefinedError']},
              {optional_applications,[]},
              {applications,[kernel,stdlib,elixir,logger,eex,phoenix_html]},
              {description,"Template rendering for Phoenix"},
              {registered,[]},
              {vsn,"1.0.4"},
              {env,[]}]}.
