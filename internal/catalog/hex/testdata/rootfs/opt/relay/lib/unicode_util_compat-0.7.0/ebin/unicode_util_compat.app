{application,unicode_util_compat,
             [{description,"unicode_util compatibility library for Erlang < 20"},
              {vsn,"0.7.0"},
              {registered,[]},
              {applications,[kernel,stdlib]},
              {env,[]},
              {modules,[string_compat,unicode_util_compat]}]}.
