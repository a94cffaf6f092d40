%% This is an -*- erlang -*- file.
%%
%% %CopyrightBegin%
%%
%% SPDX-License-Identifier: Apache-2.0
%%
%% %CopyrightEnd%
%%
{application, sasl,
 [{description, "SASL  CXC 138 11"},
  {vsn, "4.2.1"},
  {modules, []},
  {registered, []},
  {applications, [kernel, stdlib]},
  {env, []},
  {runtime_dependencies, ["erts-14.0"]}]}.
