package hex

// otpApps are the applications that ship with Erlang/OTP and Elixir
// themselves, which releases copy into their lib directory beside the Hex
// dependencies. They are the runtime's, not Hex packages, and are matched
// through the runtime (or the OS package that installed it).
//
// The OTP list is every application of the "Erlang/OTP Applications"
// index of the OTP documentation (erlang.org/doc/applications) from R13
// to OTP 28, with those since removed (the CORBA ones, hipe, gs, …): a
// release built with an old OTP still carries them.
var otpApps = map[string]bool{
	// Basic.
	"compiler": true, "erts": true, "kernel": true, "sasl": true, "stdlib": true,
	// Database.
	"mnesia": true, "mnesia_session": true, "mnemosyne": true, "odbc": true,
	// Operation and maintenance.
	"eva": true, "os_mon": true, "otp_mibs": true, "snmp": true,
	// Interface and communication.
	"asn1": true, "crypto": true, "diameter": true, "eldap": true, "erl_interface": true,
	"ftp": true, "gs": true, "inets": true, "jinterface": true, "megaco": true,
	"public_key": true, "ssh": true, "ssl": true, "tftp": true, "wx": true, "xmerl": true,
	// Tools.
	"appmon": true, "debugger": true, "dialyzer": true, "et": true, "hipe": true,
	"observer": true, "parsetools": true, "percept": true, "pman": true, "reltool": true,
	"runtime_tools": true, "toolbar": true, "tools": true, "tv": true, "typer": true,
	"webtool": true, "inviso": true,
	// Test.
	"common_test": true, "eunit": true, "test_server": true,
	// Documentation.
	"edoc": true, "erl_docgen": true, "docbuilder": true,
	// Object system (CORBA), removed in OTP 22.
	"orber": true, "ic": true, "cosEvent": true, "cosEventDomain": true,
	"cosFileTransfer": true, "cosNotification": true, "cosProperty": true,
	"cosTime": true, "cosTransactions": true,
	// Miscellaneous.
	"ose": true, "syntax_tools": true,
	// Elixir's own applications.
	"elixir": true, "eex": true, "ex_unit": true, "iex": true, "logger": true, "mix": true,
}
