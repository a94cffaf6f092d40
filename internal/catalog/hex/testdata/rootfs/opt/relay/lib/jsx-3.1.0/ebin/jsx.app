{application,jsx,
             [{description,"a streaming, evented json parsing toolkit"},
              {vsn,"3.1.0"},
              {registered,[]},
              {applications,[kernel,stdlib]},
              {env,[]},
              {modules,[jsx,jsx_config,jsx_consult,jsx_decoder,jsx_encoder,jsx_parser,jsx_to_json,jsx_to_term,jsx_verify]}]}.
