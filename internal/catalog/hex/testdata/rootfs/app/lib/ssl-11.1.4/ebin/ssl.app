%% This is an -*- erlang -*- file.
%%
%% %CopyrightBegin%
%%
%% SPDX-License-Identifier: Apache-2.0
%%
%% %CopyrightEnd%
%%
{application, ssl,
 [{description, "Erlang/OTP SSL application"},
  {vsn, "11.1.4"},
  {modules, []},
  {registered, []},
  {applications, [kernel, stdlib]},
  {env, []},
  {runtime_dependencies, ["erts-14.0"]}]}.
