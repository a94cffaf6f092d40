{application,jason,
             [{modules,['Elixir.Jason','Elixir.Jason.Decoder','Elixir.Jason.DecodeError','Elixir.Jason.Encode','Elixir.Jason.Encoder','Elixir.Jason.EncodeError','Elixir.Jason.Formatter','Elixir.Jason.Fragment','Elixir.Jason.Helpers','Elixir.Jason.OrderedObject']},
              {optional_applications,[]},
              {applications,[kernel,stdlib,elixir,logger,decimal]},
              {description,"A blazing fast JSON parser and generator in pure Elixir.\n"},
              {registered,[]},
              {vsn,"1.4.1"},
              {env,[]}]}.
