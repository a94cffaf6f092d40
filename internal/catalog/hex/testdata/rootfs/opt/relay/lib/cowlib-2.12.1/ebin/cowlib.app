{application,cowlib,
             [{description,"Support library for manipulating Web protocols."},
              {vsn,"2.12.1"},
              {registered,[]},
              {applications,[kernel,stdlib,crypto]},
              {env,[]},
              {modules,[cow_cookie,cow_date,cow_http]}]}.
