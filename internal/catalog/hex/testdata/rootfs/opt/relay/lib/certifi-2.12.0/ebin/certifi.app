{application,certifi,
             [{description,"CA bundle adapted from Mozilla by https://certifi.io"},
              {vsn,"2.12.0"},
              {registered,[]},
              {applications,[kernel,stdlib]},
              {env,[]},
              {modules,[certifi,certifi_pt]}]}.
