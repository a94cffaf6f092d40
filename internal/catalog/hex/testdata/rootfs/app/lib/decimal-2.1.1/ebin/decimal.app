{application,decimal,
             [{modules,['Elixir.Decimal','Elixir.Decimal.Context','Elixir.Decimal.Error']},
              {optional_applications,[]},
              {applications,[kernel,stdlib,elixir,logger]},
              {description,"Arbitrary precision decimal arithmetic."},
              {registered,[]},
              {vsn,"2.1.1"},
              {env,[]}]}.
