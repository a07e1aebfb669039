// The SDK front door, for comparison only: `SdkFrontDoor --port P --mode stateful|stateless -- COMMAND ARGS…`
// starts COMMAND as a stdio MCP child (the SDK's McpClient) and serves its tools, prefixed `t__`, on /mcp with the
// SDK's MapMcp. Tool lists and calls go through the SDK's typed DTOs, as any handler written against the SDK would.
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

var split = Array.IndexOf(args, "--");
var options = args[..split];
var command = args[(split + 1)..];
var port = int.Parse(options[Array.IndexOf(options, "--port") + 1]);
var stateless = options[Array.IndexOf(options, "--mode") + 1] == "stateless";

var child = await McpClient.CreateAsync(
    new StdioClientTransport(new StdioClientTransportOptions
    {
        Command = command[0], Arguments = command[1..], Name = "t",
        StandardErrorLines = line => Console.Error.WriteLine(line), // the bench reads the child's "cancelled request" here
    }),
    new McpClientOptions { ProtocolVersion = "2025-11-25" });

var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(k => k.ListenLocalhost(port));
builder.Services.AddMcpServer(o => o.ServerInfo = new Implementation { Name = "sdk-front-door", Version = "1" })
    .WithHttpTransport(o => o.Stateless = stateless)
    .WithListToolsHandler(async (ctx, ct) =>
    {
        var listed = await child.ListToolsAsync(cancellationToken: ct);
        return new ListToolsResult { Tools = listed.Select(t => { var tool = t.ProtocolTool; tool.Name = "t__" + tool.Name; return tool; }).ToList() };
    })
    .WithCallToolHandler(async (ctx, ct) =>
    {
        var request = ctx.Params!;
        try
        {
            return await child.CallToolAsync(new CallToolRequestParams { Name = request.Name["t__".Length..], Arguments = request.Arguments }, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The SDK turns a handler's exception into a generic isError result; say what it was.
            Console.Error.WriteLine($"sdk-front-door: {request.Name} failed: {e}".Replace("\n", " | "));
            throw;
        }
    });
var app = builder.Build();
app.MapMcp("/mcp");
await app.RunAsync();
await child.DisposeAsync();
