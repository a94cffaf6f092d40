{application,hackney,
             [{description,"simple HTTP client"},
              {vsn,"1.20.1"},
              {registered,[]},
              {mod,{hackney_app,[]}},
              {applications,[kernel,stdlib,crypto,asn1,public_key,ssl,idna,mimerl,certifi,parse_trans,ssl_verify_fun,metrics,unicode_util_compat]},
              {env,[{timeout,150000},{max_connections,50},{restart,permanent},{shutdown,10000},{maxr,10},{maxt,1}]},
              {modules,[hackney,hackney_app,hackney_pool,hackney_sup,hackney_url]}]}.
