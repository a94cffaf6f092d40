{application,goldrush,
             [{description,"Erlang event stream processor"},
              {vsn,"0.1.9"},
              {registered,[]},
              {mod,{gr_app,[]}},
              {applications,[kernel,stdlib,syntax_tools,compiler]},
              {env,[]},
              {modules,[glc,glc_code,glc_lib,glc_ops,gr_app,gr_sup]}]}.
