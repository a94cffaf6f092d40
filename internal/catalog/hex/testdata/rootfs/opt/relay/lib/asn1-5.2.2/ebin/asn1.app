{application, asn1,
 [{description, "ASN1"},
  {vsn, "5.2.2"},
  {modules, []},
  {registered, []},
  {applications, [kernel, stdlib]},
  {env, []}]}.
