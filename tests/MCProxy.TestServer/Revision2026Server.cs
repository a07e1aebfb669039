using System.Text.Json;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

/// <summary>
/// A child written against the 2026-07-28 revision alone, on the C# SDK (ModelContextProtocol 2.4.0) over stdio:
/// it answers <c>server/discover</c>, wants <c>_meta</c> protocol version and client capabilities on every request,
/// refuses <c>initialize</c>, sends list_changed only on a <c>subscriptions/listen</c> stream, and asks for input with
/// multi-round-trip results (<c>resultType: input_required</c>) instead of server→client requests. Tools:
/// <list type="bullet">
/// <item><c>echo {message}</c>: the message back.</item>
/// <item><c>meta</c>: the request's <c>params._meta</c> as JSON text.</item>
/// <item><c>pid</c>: this process's id.</item>
/// <item><c>add_tool</c>: adds a tool <c>added_N</c> (a tools/list_changed on every listen stream that asked for it).</item>
/// <item><c>confirm {question}</c>: asks the client to elicit an answer, then says "answer: …".</item>
/// <item><c>sample {prompt}</c>: asks the client for an LLM completion, then says "model said: …".</item>
/// </list>
/// </summary>
internal static class Revision2026Server
{
    public static async Task<int> RunAsync()
    {
        Console.Error.WriteLine($"testserver-2026: started pid {Environment.ProcessId}");
        var tools = new McpServerPrimitiveCollection<McpServerTool>();
        var added = 0;
        tools.Add(McpServerTool.Create((string message) => message, new() { Name = "echo", Description = "Echoes the message" }));
        tools.Add(McpServerTool.Create((RequestContext<CallToolRequestParams> context) =>
            context.Params?.Meta is { } meta ? meta.ToJsonString() : "{}", new() { Name = "meta", Description = "The request's _meta" }));
        tools.Add(McpServerTool.Create(() => Environment.ProcessId.ToString(), new() { Name = "pid", Description = "This process's id" }));
        tools.Add(McpServerTool.Create(() =>
        {
            var name = $"added_{Interlocked.Increment(ref added)}";
            tools.Add(McpServerTool.Create(() => name, new() { Name = name, Description = "Added at run time" }));
            return name;
        }, new() { Name = "add_tool", Description = "Adds a tool and announces the change" }));
        tools.Add(McpServerTool.Create((RequestContext<CallToolRequestParams> context, string question) =>
        {
            if (context.Params?.InputResponses is { } responses && responses.TryGetValue("answer", out var response))
            {
                var elicited = response.Deserialize(InputResponse.ElicitResultJsonTypeInfo);
                var value = elicited?.Content is { } content && content.TryGetValue("answer", out var v) ? v.ToString() : "(none)";
                return $"answer: {value} ({elicited?.Action}; state {context.Params.RequestState})";
            }
            throw new InputRequiredException(
                inputRequests: new Dictionary<string, InputRequest>
                {
                    ["answer"] = InputRequest.ForElicitation(new ElicitRequestParams
                    {
                        Message = question,
                        RequestedSchema = new()
                        {
                            Properties = new Dictionary<string, ElicitRequestParams.PrimitiveSchemaDefinition>
                            {
                                ["answer"] = new ElicitRequestParams.StringSchema { Description = "Your answer" },
                            },
                        },
                    }),
                },
                requestState: "asked:" + question);
        }, new() { Name = "confirm", Description = "Asks the user a question (elicitation, multi-round-trip)" }));
        tools.Add(McpServerTool.Create((RequestContext<CallToolRequestParams> context, string prompt) =>
        {
            if (context.Params?.InputResponses is { } responses && responses.TryGetValue("llm", out var response))
            {
                var sampled = response.Deserialize(InputResponse.CreateMessageResultJsonTypeInfo);
                var text = sampled?.Content?.OfType<TextContentBlock>().FirstOrDefault()?.Text ?? "(no text)";
                return $"model said: {text}";
            }
            throw new InputRequiredException(
                inputRequests: new Dictionary<string, InputRequest>
                {
                    ["llm"] = InputRequest.ForSampling(new CreateMessageRequestParams
                    {
                        Messages = [new SamplingMessage { Role = Role.User, Content = [new TextContentBlock { Text = prompt }] }],
                        MaxTokens = 20,
                    }),
                },
                requestState: "sampling");
        }, new() { Name = "sample", Description = "Asks the client's model (sampling, multi-round-trip)" }));

        var options = new McpServerOptions
        {
            ServerInfo = new Implementation { Name = "mcproxy-testserver-2026", Version = "1.0.0" },
            ProtocolVersion = "2026-07-28",
            ToolCollection = tools,
            Capabilities = new ServerCapabilities { Tools = new ToolsCapability { ListChanged = true } },
        };
        var transport = new StdioServerTransport("mcproxy-testserver-2026");
        await using var server = McpServer.Create(transport, options);
        await server.RunAsync();
        Console.Error.WriteLine("testserver-2026: stdin closed, exiting");
        return 0;
    }
}
