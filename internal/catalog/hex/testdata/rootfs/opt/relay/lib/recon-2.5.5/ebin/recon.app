{application,recon,
             [{description,"Diagnostic tools for production use"},
              {vsn,"2.5.5"},
              {registered,[]},
              {applications,[kernel,stdlib]},
              {env,[]},
              {modules,[recon,recon_alloc,recon_lib,recon_map,recon_rec,recon_trace]}]}.
