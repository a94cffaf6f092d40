{application,phoenix_html,
             [{modules,['Elixir.Phoenix.HTML','Elixir.Phoenix.HTML.Engine','Elixir.Phoenix.HTML.Form','Elixir.Phoenix.HTML.FormData','Elixir.Phoenix.HTML.Link','Elixir.Phoenix.HTML.Safe','Elixir.Phoenix.HTML.Tag']},
              {optional_applications,[]},
              {applications,[kernel,stdlib,elixir,logger,eex,plug]},
              {description,"Phoenix view functions for working with HTML templates"},
              {registered,[]},
              {vsn,"3.3.3"},
              {env,[{csrf_token_reader,{'Elixir.Plug.CSRFProtection',get_csrf_token_for,[]}}]}]}.
