using MCProxy.Cli;

// One binary: `mcproxy [serve] [flags]` runs the gateway (the default, so unit files keep working);
// `mcproxy health` and the operator's verbs (status, servers, check, logs, call, doctor, setup) talk to it.
return await CliApp.RunAsync(args);
