{application,parse_trans,
             [{description,"Parse transform library"},
              {vsn,"3.4.1"},
              {registered,[]},
              {applications,[kernel,stdlib,syntax_tools]},
              {env,[]},
              {modules,[ct_expand,exprecs,parse_trans,parse_trans_codegen,parse_trans_mod,parse_trans_pp]}]}.
