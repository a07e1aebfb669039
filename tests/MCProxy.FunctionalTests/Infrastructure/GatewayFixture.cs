using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using MCProxy.Configuration;
using MCProxy.Health;
using MCProxy.Hosting;
using MCProxy.Reconciliation;
using MCProxy.Supervision;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Client;

namespace MCProxy.FunctionalTests.Infrastructure;

/// <summary>
/// A real gateway on real Kestrel (127.0.0.1, port 0) with real child processes, plus clients for it.
/// Restart backoff is shortened so crash tests run in well under a second; everything else is the product's.
/// </summary>
internal sealed class GatewayFixture : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _dir;

    private GatewayFixture(WebApplication app, string dir, LogCollector logs)
    {
        _app = app;
        _dir = dir;
        Logs = logs;
        BaseUrl = app.Urls.First().TrimEnd('/');
        Http = new HttpClient { BaseAddress = new Uri(BaseUrl), Timeout = TimeSpan.FromSeconds(30) };
    }

    public string BaseUrl { get; }

    public string ConfigPath => Path.Combine(_dir, "mcp-servers.json");

    public string Folder => _dir;

    public ReconcileLoop Loop => Services.GetRequiredService<ReconcileLoop>();

    public HttpClient Http { get; }

    public LogCollector Logs { get; }

    public IServiceProvider Services => _app.Services;

    public ServerRegistry Servers => Services.GetRequiredService<ServerRegistry>();

    public static readonly SupervisorOptions FastRestarts = new()
    {
        Backoff = [TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(200)],
    };

    public static async Task<GatewayFixture> StartAsync(string configJson, SupervisorOptions? supervisor = null,
        IReadOnlyDictionary<string, string>? processEnv = null, string? dotEnv = null, Action<IServiceCollection>? configure = null,
        Func<GatewayOptions, GatewayOptions>? options = null, bool waitUntilReady = true)
    {
        Evidence.SecretsOf(configJson, dotEnv);
        var dir = Directory.CreateTempSubdirectory("mcproxy-test-").FullName;
        var configPath = Path.Combine(dir, "mcp-servers.json");
        await File.WriteAllTextAsync(configPath, configJson);
        if (dotEnv is not null)
        {
            await File.WriteAllTextAsync(Path.Combine(dir, ".env"), dotEnv);
        }
        // The test host runs many gateways and its own Process.Start children: no subreaper here (the hostile suite runs one out of process).
        var gatewayOptions = new GatewayOptions { ConfigPath = configPath, Port = 0, LogToStdout = true, ReapOrphans = false };
        gatewayOptions = options?.Invoke(gatewayOptions) ?? gatewayOptions;
        var environment = processEnv is null
            ? EnvironmentSource.FromProcess(gatewayOptions.ResolvedEnvFile)
            : new EnvironmentSource(processEnv, EnvironmentSource.ReadDotEnv(gatewayOptions.ResolvedEnvFile));
        var loaded = ConfigLoader.Load(configJson, environment, gatewayOptions.Separator);
        Assert.True(loaded.IsValid, string.Join("\n", loaded.FileErrors));
        var logs = new LogCollector();
        var initial = new InitialConfig(loaded.Config!, ConfigFile.ReadTexts(gatewayOptions).Fingerprint);
        var app = GatewayHost.Build(gatewayOptions, initial, services =>
        {
            services.AddSingleton(supervisor ?? FastRestarts);
            services.AddSingleton<ILoggerProvider>(logs);
            services.AddSingleton<IStartupFilter, Evidence.CredentialRecorder>();
            configure?.Invoke(services);
        });
        var starting = app.StartAsync();
        if (!waitUntilReady)
        {
            // Kestrel listens before the servers' first start settles; the port is known once it is bound.
            var bound = new TaskCompletionSource();
            using var poll = new Timer(_ =>
            {
                if (app.Urls.Any(u => !u.EndsWith(":0", StringComparison.Ordinal)))
                {
                    bound.TrySetResult();
                }
            }, null, 0, 20);
            await bound.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
        else
        {
            await starting;
        }
        var fixture = new GatewayFixture(app, dir, logs);
        if (waitUntilReady)
        {
            await app.Services.GetRequiredService<GatewayReadiness>().WhenReady.WaitAsync(TimeSpan.FromSeconds(60));
        }
        return fixture;
    }

    /// <summary>Runs <paramref name="edit"/> (which changes files on disk) and waits for the reload it causes.</summary>
    public async Task<ReloadOutcome> ReloadAfterAsync(Func<Task> edit, double seconds = 20)
    {
        var outcome = new TaskCompletionSource<ReloadOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnReloaded(ReloadOutcome o) => outcome.TrySetResult(o);
        Loop.Reloaded += OnReloaded;
        try
        {
            await edit();
            return await outcome.Task.WaitAsync(TimeSpan.FromSeconds(seconds));
        }
        finally
        {
            Loop.Reloaded -= OnReloaded;
        }
    }

    /// <summary>Writes the config in place and waits for the reload.</summary>
    public Task<ReloadOutcome> WriteConfigAsync(string json) => ReloadAfterAsync(() => File.WriteAllTextAsync(ConfigPath, json));

    public ServerStatus Status(string server) =>
        Servers.TryGet(server, out var entry) && entry.Supervisor is { } s ? s.Status : throw new InvalidOperationException(server);

    /// <summary>Waits (event-driven, bounded) until <paramref name="condition"/> holds.</summary>
    public async Task WaitUntilAsync(Func<bool> condition, string what, double seconds = 20)
    {
        var changed = new SemaphoreSlim(0);
        void OnChanged() => changed.Release();
        Servers.Changed += OnChanged;
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(seconds);
            while (!condition())
            {
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero)
                {
                    Assert.Fail($"timed out waiting for: {what}");
                }
                await changed.WaitAsync(left < TimeSpan.FromMilliseconds(250) ? left : TimeSpan.FromMilliseconds(250));
            }
        }
        finally
        {
            Servers.Changed -= OnChanged;
        }
    }

    public Task<McpClient> ConnectStreamableAsync(Action<McpClientOptions>? configure = null) =>
        ConnectAsync(HttpTransportMode.StreamableHttp, "/mcp", configure);

    public Task<McpClient> ConnectSseAsync(Action<McpClientOptions>? configure = null) =>
        ConnectAsync(HttpTransportMode.Sse, "/sse", configure);

    private async Task<McpClient> ConnectAsync(HttpTransportMode mode, string path, Action<McpClientOptions>? configure)
    {
        var transport = new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = new Uri(BaseUrl + path),
            TransportMode = mode,
        });
        var options = new McpClientOptions { ProtocolVersion = "2025-11-25" };
        if (mode == HttpTransportMode.Sse)
        {
            options.ProtocolVersion = "2024-11-05";
        }
        configure?.Invoke(options);
        return await McpClient.CreateAsync(transport, options);
    }

    /// <summary>POSTs raw text to a path, as curl would.</summary>
    public async Task<(int Status, string? ContentType, string Body)> PostAsync(string path, string body,
        string? accept = null, IDictionary<string, string>? headers = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        if (accept is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }
        foreach (var (k, v) in headers ?? new Dictionary<string, string>())
        {
            if (k == "Host")
            {
                request.Headers.Host = v;
            }
            else
            {
                request.Headers.TryAddWithoutValidation(k, v);
            }
        }
        using var response = await Http.SendAsync(request);
        return ((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync());
    }

    /// <summary>One JSON-RPC call through the plain POST /sse door; returns the parsed response object.</summary>
    public async Task<JsonObject> RpcAsync(string method, JsonObject? prms = null, object? id = null)
    {
        var message = new JsonObject { ["jsonrpc"] = "2.0", ["id"] = JsonValue.Create(id ?? 1), ["method"] = method };
        if (prms is not null)
        {
            message["params"] = prms;
        }
        var (status, type, body) = await PostAsync("/sse", message.ToJsonString());
        Assert.Equal(200, status);
        Assert.Equal("application/json", type);
        return JsonNode.Parse(body)!.AsObject();
    }

    public async Task<JsonObject> HealthAsync() => JsonNode.Parse(await Http.GetStringAsync("/health"))!.AsObject();

    /// <summary>Stops the host (as SIGTERM would) without disposing it.</summary>
    public Task StopAsync() => _app.StopAsync();

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        Evidence.Keep(_dir, "*audit*");
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp folder left behind is harmless.
        }
    }
}
