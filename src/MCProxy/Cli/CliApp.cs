using System.CommandLine;
using MCProxy.Configuration;
using MCProxy.Hosting;

namespace MCProxy.Cli;

/// <summary>
/// The command line of the one binary. No verb, a flag first, or <c>serve</c>: run the gateway with today's flags
/// (<see cref="ServeCommand"/>, hand-parsed as ever, so unit files keep working); <c>health</c> as before; every
/// other verb through System.CommandLine. Every verb takes <c>--json</c>, <c>--socket PATH</c> and
/// <c>--config PATH</c>, exits non-zero on failure and prints an error as one line that names the fix.
/// </summary>
internal static class CliApp
{
    public static readonly string[] Verbs = ["status", "servers", "check", "logs", "call", "doctor", "setup"];

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || args[0].StartsWith('-') || args[0] is "serve" or "health")
        {
            return await ServeCommand.RunAsync(args[0] is "serve" ? args[1..] : args).ConfigureAwait(false);
        }
        if (!Verbs.Contains(args[0]))
        {
            Console.Error.WriteLine($"mcproxy: unknown command '{args[0]}': one of serve, health, {string.Join(", ", Verbs)} (see mcproxy --help)");
            return 2;
        }
        return await InvokeAsync(args, Console.Out, Console.Error, Console.In).ConfigureAwait(false);
    }

    public static async Task<int> InvokeAsync(string[] args, TextWriter output, TextWriter error, TextReader input)
    {
        var json = new Option<bool>("--json") { Description = "print JSON instead of text", Recursive = true };
        var socket = new Option<string?>("--socket") { Description = "the gateway's admin socket (default: $RUNTIME_DIRECTORY/mcproxy.sock, else /run/mcproxy/mcproxy.sock)", Recursive = true };
        var config = new Option<string?>("--config") { Description = "the config file (default: the running gateway's, else config/mcp-servers.json)", Recursive = true };
        var root = new RootCommand("MCProxy: one HTTP endpoint in front of many MCP servers. mcproxy --help shows the gateway's own flags.");
        root.Options.Add(json);
        root.Options.Add(socket);
        root.Options.Add(config);
        CliContext Context(ParseResult r) => new(r.GetValue(json), r.GetValue(socket), r.GetValue(config), output, error, CliContext.DefaultCandidates());

        var status = new Command("status", "servers, states, pids, restarts, tools, child memory and CPU, sessions, config");
        status.SetAction((r, ct) => StatusCommand.RunAsync(Context(r), ct));
        root.Subcommands.Add(status);
        root.Subcommands.Add(ServersTree(Context));

        var checkFile = new Argument<string?>("CONFIG") { Description = "the file to check (default: --config, else the running gateway's)", Arity = ArgumentArity.ZeroOrOne };
        var check = new Command("check", "validate a config file with the gateway's validator; every problem with its JSON path") { checkFile };
        check.SetAction((r, ct) => CheckCommand.RunAsync(Context(r), r.GetValue(checkFile), ct));
        root.Subcommands.Add(check);

        var logsName = new Argument<string?>("NAME") { Description = "one server (default: all)", Arity = ArgumentArity.ZeroOrOne };
        var follow = new Option<bool>("--follow", "-f") { Description = "keep printing new lines until Ctrl-C" };
        var logs = new Command("logs", "the last stderr lines of one server or all (the gateway keeps a few per server)") { logsName, follow };
        logs.SetAction((r, ct) => LogsCommand.RunAsync(Context(r), r.GetValue(logsName), r.GetValue(follow), ct));
        root.Subcommands.Add(logs);

        var tool = new Argument<string>("TOOL") { Description = "the exposed tool name, e.g. memory__read_graph" };
        var arguments = new Argument<string?>("JSON") { Description = "the arguments as one JSON object (default: {}; - reads standard input)", Arity = ArgumentArity.ZeroOrOne };
        var call = new Command("call", "one tool call through the running gateway") { tool, arguments };
        call.SetAction((r, ct) => CallCommand.RunAsync(Context(r), r.GetValue(tool)!, r.GetValue(arguments), input, ct));
        root.Subcommands.Add(call);

        var host = new Option<string?>("--host") { Description = "the address the gateway listens on (default: the running gateway's, else 127.0.0.1)" };
        var port = new Option<int?>("--port") { Description = "its port (default: the running gateway's, else 12010)" };
        var quadlet = new Option<string?>("--quadlet") { Description = "a quadlet file to check (default: mcproxy.container in /etc/containers/systemd and ~/.config/containers/systemd)" };
        var doctor = new Command("doctor", "find what would stop a server from starting or leave the gateway open, each with its fix") { host, port, quadlet };
        doctor.SetAction((r, ct) => DoctorCommand.RunAsync(Context(r), r.GetValue(host), r.GetValue(port), r.GetValue(quadlet), ct));
        root.Subcommands.Add(doctor);

        var client = new Option<string>("--client") { Description = "claude, cursor, vscode or codex", Required = true };
        client.AcceptOnlyFromAmong(SetupCommand.Clients);
        var setupHost = new Option<string?>("--host") { Description = "the host clients reach the gateway by (default: where it listens)" };
        var setupPort = new Option<int?>("--port") { Description = "the port clients reach it on" };
        var setup = new Command("setup", "print the client's config snippet for this gateway (auth: a ${MCPROXY_TOKEN} placeholder, never a token)") { client, setupHost, setupPort };
        setup.SetAction((r, ct) => SetupCommand.RunAsync(Context(r), r.GetValue(client)!, r.GetValue(setupHost), r.GetValue(setupPort), ct));
        root.Subcommands.Add(setup);

        // No response files: an argument starting with '@' is an argument.
        var result = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (result.Errors.Count > 0)
        {
            var verb = string.Join(' ', args.TakeWhile(a => !a.StartsWith('-')).Take(2));
            var message = string.Join(' ', result.Errors[0].Message.Split((char[])['\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            error.WriteLine($"mcproxy: {message} (mcproxy {verb} --help)");
            return 2;
        }
        try
        {
            return await result.InvokeAsync(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false }).ConfigureAwait(false);
        }
        catch (CliException ex)
        {
            if (result.GetValue(json))
            {
                output.WriteLine(Protocol.JsonRpcWriter.Build(w =>
                {
                    w.WriteStartObject();
                    w.WriteString("error"u8, ex.Message);
                    w.WriteEndObject();
                }) is var body ? System.Text.Encoding.UTF8.GetString(body) : "");
            }
            error.WriteLine($"mcproxy: {ex.Message}");
            return ex.ExitCode;
        }
    }

    private static Command ServersTree(Func<ParseResult, CliContext> context)
    {
        var servers = new Command("servers", "list, inspect, add, remove, enable, disable and restart servers");
        var list = new Command("list", "the configured servers and their state");
        list.SetAction((r, ct) => ServersCommand.ListAsync(context(r), ct));
        servers.Subcommands.Add(list);

        Argument<string> Name() => new("NAME") { Description = "the server's name" };
        var getName = Name();
        var get = new Command("get", "one server: its state and its entry in the config") { getName };
        get.SetAction((r, ct) => ServersCommand.GetAsync(context(r), r.GetValue(getName)!, ct));
        servers.Subcommands.Add(get);

        var addName = Name();
        var env = new Option<string[]>("--env") { Description = "K=V for the server's environment (repeatable; ${VAR} is expanded by the gateway)" };
        var url = new Option<string?>("--url") { Description = "a remote server's URL (instead of -- COMMAND)" };
        var header = new Option<string[]>("--header") { Description = "K=V, an HTTP header for a remote server (repeatable)" };
        var command = new Argument<string[]>("COMMAND") { Description = "after --: the program and its arguments", Arity = ArgumentArity.ZeroOrMore };
        var add = new Command("add", "add a server: NAME [--env K=V]... -- COMMAND ARGS..., or NAME --url URL [--header K=V]...") { addName, env, url, header, command };
        add.SetAction((r, ct) => ServerEdits.AddAsync(context(r), NewEntry(r.GetValue(addName)!, r.GetValue(command) ?? [], r.GetValue(env) ?? [],
            r.GetValue(url), r.GetValue(header) ?? []), ct));
        servers.Subcommands.Add(add);

        foreach (var (verb, description) in new[] { ("remove", "remove a server from the config"), ("enable", "enable a server"),
                     ("disable", "disable a server (it stays in the config)"), ("restart", "restart a running server now") })
        {
            var name = Name();
            var sub = new Command(verb, description) { name };
            sub.SetAction((r, ct) => verb switch
            {
                "remove" => ServerEdits.RemoveAsync(context(r), r.GetValue(name)!, ct),
                "enable" => ServerEdits.SetEnabledAsync(context(r), r.GetValue(name)!, true, ct),
                "disable" => ServerEdits.SetEnabledAsync(context(r), r.GetValue(name)!, false, ct),
                _ => ServersCommand.RestartAsync(context(r), r.GetValue(name)!, ct),
            });
            servers.Subcommands.Add(sub);
        }
        return servers;
    }

    private static NewServerEntry NewEntry(string name, string[] command, string[] env, string? url, string[] headers)
    {
        if (url is not null && command.Length > 0)
        {
            throw new CliException("give either --url URL (a remote server) or -- COMMAND ARGS... (a stdio server), not both", 2);
        }
        if (url is null && command.Length == 0)
        {
            throw new CliException($"what does '{name}' run? mcproxy servers add {name} -- COMMAND ARGS..., or --url URL", 2);
        }
        if (url is null && headers.Length > 0)
        {
            throw new CliException("--header is for remote servers (--url); a stdio server takes --env", 2);
        }
        if (url is not null && env.Length > 0)
        {
            throw new CliException("--env is for stdio servers; a remote server takes --header", 2);
        }
        return new NewServerEntry(name)
        {
            Command = url is null ? command[0] : null,
            Args = url is null ? command[1..] : [],
            Env = Pairs(env, "--env"),
            Url = url,
            Headers = Pairs(headers, "--header"),
        };
    }

    private static KeyValuePair<string, string>[] Pairs(string[] values, string option) => values.Select(v =>
    {
        var eq = v.IndexOf('=');
        return eq > 0 ? KeyValuePair.Create(v[..eq], v[(eq + 1)..])
            : throw new CliException($"{option} needs K=V, e.g. {option} {(option == "--env" ? "API_KEY=${API_KEY}" : "X-Api-Key=${API_KEY}")}", 2);
    }).ToArray();
}
