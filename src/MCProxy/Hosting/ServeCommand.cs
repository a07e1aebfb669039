using MCProxy.Admin;
using MCProxy.Configuration;
using MCProxy.Protocol;

namespace MCProxy.Hosting;

/// <summary>
/// <c>mcproxy [serve] [flags]</c> — run the gateway — and <c>mcproxy health</c>: the hand-parsed flags of
/// <see cref="CommandLine"/>, exactly as before the verbs arrived.
/// </summary>
internal static class ServeCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        // Settings: appsettings.json ("MCProxy" section) < MCPROXY_* environment < command-line flags.
        var appSettings = new Microsoft.Extensions.Configuration.ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .Build().GetSection("MCProxy");
        var defaults = CommandLine.ApplySettings(new GatewayOptions(), key => appSettings[key], out var error);
        defaults = defaults is null ? null : CommandLine.ApplySettings(defaults, key => Environment.GetEnvironmentVariable("MCPROXY_" + key), out error);
        bool help = false, version = false;
        var healthVerb = args.Length > 0 && args[0] == "health";
        var options = defaults is null ? null : CommandLine.Parse(healthVerb ? args[1..] : args, defaults, out error, out help, out version);
        if (help)
        {
            Console.WriteLine(CommandLine.Usage);
            return 0;
        }
        if (version)
        {
            Console.WriteLine($"mcproxy {McpProtocol.Version}");
            return 0;
        }
        if (options is null)
        {
            Console.Error.WriteLine($"mcproxy: {error}");
            return 2;
        }
        if ((options.TlsCert is null) != (options.TlsKey is null))
        {
            Console.Error.WriteLine("mcproxy: --tls-cert and --tls-key go together: give both PEM files, or neither");
            return 2;
        }
        if (healthVerb)
        {
            return await HealthCommand.RunAsync(options, Console.Out, TimeSpan.FromSeconds(4));
        }

        var texts = ConfigFile.ReadTexts(options);
        var loaded = ConfigFile.Parse(texts, options);
        if (!loaded.IsValid)
        {
            Console.Error.WriteLine($"mcproxy: {Path.GetFullPath(options.ConfigPath)} is not usable:");
            foreach (var problem in loaded.FileErrors)
            {
                Console.Error.WriteLine($"  - {problem}");
            }
            return 1;
        }

        if (!options.BindsLoopbackOnly && loaded.Config!.Auth is null && !options.AllowUnauthenticated)
        {
            // Safe by default: every tool of every server would be open to whoever reaches the port.
            Console.Error.WriteLine($"mcproxy: refusing to serve {options.Host}:{options.Port} without authentication: add an \"auth\" section " +
                                    "with tokens to the config (see README, Security), bind 127.0.0.1, or pass --allow-unauthenticated");
            return 2;
        }

        if (options.AdminSocket is null)
        {
            options = options with
            {
                AdminSocket = AdminSocketPath.ForDaemon(Environment.GetEnvironmentVariable("RUNTIME_DIRECTORY"),
                    Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR"), Posix.UserId, out var note),
            };
            if (note is not null)
            {
                Console.Error.WriteLine($"mcproxy: {note}");
            }
        }

        try
        {
            var app = GatewayHost.Build(options, new InitialConfig(loaded.Config!, texts.Fingerprint));
            await app.RunAsync();
            return 0;
        }
        catch (InvalidOperationException ex) when (ex.Message.StartsWith("cannot load the TLS certificate", StringComparison.Ordinal))
        {
            Console.Error.WriteLine($"mcproxy: {ex.Message}");
            return 1;
        }
        catch (IOException ex) when (ex.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException or System.Net.Sockets.SocketException)
        {
            // Kestrel wraps a bind failure in IOException; its inner exception's type (not the message text) says which.
            Console.Error.WriteLine($"mcproxy: cannot listen on {options.Host}:{options.Port}: {ex.InnerException.Message}");
            return 1;
        }
    }
}
