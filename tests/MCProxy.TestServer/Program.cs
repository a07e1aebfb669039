// A small stdio MCP server used as a child in MCProxy's tests and benchmarks. Raw newline-delimited JSON-RPC,
// no SDK, so it starts fast and can misbehave on purpose. Switches:
//   --exit-at-start CODE   write a stderr line and exit at once
//   --crash-after N        the (N+1)th tools/call exits with code 3 instead of answering
//   --grandchild           spawn `sleep 300` (same process group) and report its pid on stderr
//   --ignore-sigterm       survive SIGTERM (the shutdown ladder must escalate to SIGKILL)
//   --tool-count N         add tools t0..t(N-1); --page-size N splits tools/list into pages
//   --list-changed         add the tool add_tool, which adds a tool and sends notifications/tools/list_changed
//   --hang-initialize      never answer initialize
//   --stdout-garbage       print a non-JSON line on stdout before anything else
//   --conformance-fixtures serve the resources the official conformance suite reads by fixed URI
//   --counting             add the tool calls, which answers how many tools/call requests reached this process
//   --meta                 add the tools meta (answers with the params._meta it received, as JSON text; {} without)
//                          and fail (an isError result)
//   --hostile              add the tools a hostile child needs: emit (raw bytes on stdout/stderr), flood (many or
//                          large log/progress messages, a huge stderr line), escape (a grandchild that leaves the
//                          process group with setsid and keeps stdout/stderr open)
//   --revision-2026        a different server: built on the C# SDK (ModelContextProtocol 2.4.0), speaking only the
//                          2026-07-28 revision (answers server/discover, refuses initialize); see Revision2026Server.cs
//   --tasks                answer server/discover (2026-07-28) offering the Tasks extension, and add the tool long: with
//                          the extension in the request's _meta clientCapabilities it answers with a task (resultType
//                          "task") that completes after ms milliseconds (tasks/get, tasks/cancel); without, at once
//   --limits               add the tools the limits tests need: alloc (allocate and touch mb MiB, kept; answer after holdMs), limits
//                          (the text of /proc/self/limits), spin (burn CPU for ms milliseconds)
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

if (args.Contains("--revision-2026"))
{
    return await Revision2026Server.RunAsync();
}
var options = Options.Parse(args);
if (options.ExitAtStart is { } code)
{
    Console.Error.WriteLine($"testserver: exiting at start with code {code} as asked");
    return code;
}
PosixSignalRegistration? ignoreTerm = null;
if (options.IgnoreSigterm)
{
    ignoreTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx =>
    {
        ctx.Cancel = true;
        Console.Error.WriteLine("testserver: ignoring SIGTERM");
    });
}
if (options.Grandchild)
{
    var sleeper = Process.Start(new ProcessStartInfo("sleep", "300") { UseShellExecute = false })!;
    Console.Error.WriteLine($"testserver: grandchild pid {sleeper.Id}");
}
Console.Error.WriteLine($"testserver: started pid {Environment.ProcessId}");
var server = new TestServer(options);
var exitCode = await server.RunAsync();
GC.KeepAlive(ignoreTerm);
return exitCode;

internal sealed record Options
{
    public int? ExitAtStart { get; init; }
    public int? CrashAfter { get; init; }
    public bool Grandchild { get; init; }
    public bool IgnoreSigterm { get; init; }
    public int ToolCount { get; init; }
    public int PageSize { get; init; }
    public bool ListChanged { get; init; }
    public bool HangInitialize { get; init; }
    public bool StdoutGarbage { get; init; }
    public bool ConformanceFixtures { get; init; }
    public bool Hostile { get; init; }
    public bool Counting { get; init; }
    public bool Limits { get; init; }
    public bool Meta { get; init; }
    public bool Tasks { get; init; }

    public static Options Parse(string[] args)
    {
        var o = new Options();
        for (var i = 0; i < args.Length; i++)
        {
            o = args[i] switch
            {
                "--exit-at-start" => o with { ExitAtStart = int.Parse(args[++i]) },
                "--crash-after" => o with { CrashAfter = int.Parse(args[++i]) },
                "--grandchild" => o with { Grandchild = true },
                "--ignore-sigterm" => o with { IgnoreSigterm = true },
                "--tool-count" => o with { ToolCount = int.Parse(args[++i]) },
                "--page-size" => o with { PageSize = int.Parse(args[++i]) },
                "--list-changed" => o with { ListChanged = true },
                "--hang-initialize" => o with { HangInitialize = true },
                "--stdout-garbage" => o with { StdoutGarbage = true },
                "--conformance-fixtures" => o with { ConformanceFixtures = true },
                "--hostile" => o with { Hostile = true },
                "--counting" => o with { Counting = true },
                "--limits" => o with { Limits = true },
                "--meta" => o with { Meta = true },
                "--tasks" => o with { Tasks = true },
                _ => throw new ArgumentException($"unknown switch {args[i]}"),
            };
        }
        return o;
    }
}

internal sealed class TestServer(Options options)
{
    private readonly Stream _stdout = Console.OpenStandardOutput();
    private readonly object _writeLock = new();
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _inFlight = new();
    private readonly List<JsonObject> _extraTools = [];
    private readonly List<byte[]> _kept = [];
    private readonly ConcurrentDictionary<string, TaskCompletionSource<JsonObject>> _asked = new();
    private int _askedIds;

    /// <summary>Sends a request to the client (the gateway) and waits for its answer; optionally cancels it first.</summary>
    private async Task<JsonObject> AskAsync(string method, JsonObject prms, int cancelAfterMs = -1)
    {
        var id = $"ts-{Interlocked.Increment(ref _askedIds)}";
        var waiter = new TaskCompletionSource<JsonObject>(TaskCreationOptions.RunContinuationsAsynchronously);
        _asked[JsonValue.Create(id).ToJsonString()] = waiter;
        Send(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = id, ["method"] = method, ["params"] = prms });
        if (cancelAfterMs >= 0)
        {
            await Task.Delay(cancelAfterMs);
            Send(new JsonObject
            {
                ["jsonrpc"] = "2.0", ["method"] = "notifications/cancelled",
                ["params"] = new JsonObject { ["requestId"] = id, ["reason"] = "changed my mind" },
            });
        }
        return await waiter.Task.WaitAsync(TimeSpan.FromSeconds(20));
    }
    private int _calls;
    private readonly TaskTable _tasks = new();

    public async Task<int> RunAsync()
    {
        if (options.StdoutGarbage)
        {
            WriteLine(Encoding.UTF8.GetBytes("this is not json"));
        }
        using var stdin = new StreamReader(Console.OpenStandardInput(), Encoding.UTF8);
        while (await stdin.ReadLineAsync() is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }
            var message = JsonNode.Parse(line)!.AsObject();
            var method = (string?)message["method"];
            var id = message["id"]?.DeepClone();
            if (method is null)
            {
                // An answer to one of our own requests (sampling, elicitation, roots).
                if (id is not null && _asked.TryRemove(id.ToJsonString(), out var waiter))
                {
                    waiter.TrySetResult(message);
                }
                continue;
            }
            if (id is null)
            {
                HandleNotification(method, message["params"] as JsonObject);
                continue;
            }
            // Registered before the handler runs, so a cancel that arrives right behind the request finds it.
            var cts = new CancellationTokenSource();
            _inFlight[id.ToJsonString()] = cts;
            _ = Task.Run(() => HandleRequestAsync(method, id, message["params"] as JsonObject, cts.Token));
        }
        Console.Error.WriteLine("testserver: stdin closed, exiting");
        return 0;
    }

    private void HandleNotification(string method, JsonObject? prms)
    {
        if (method == "notifications/cancelled" && prms?["requestId"] is { } rid && _inFlight.TryGetValue(rid.ToJsonString(), out var cts))
        {
            Console.Error.WriteLine($"testserver: cancelled request {rid.ToJsonString()}");
            cts.Cancel();
        }
    }

    private async Task HandleRequestAsync(string method, JsonNode id, JsonObject? prms, CancellationToken ct)
    {
        try
        {
            JsonNode? result = method switch
            {
                "initialize" => options.HangInitialize ? null : Initialize(prms),
                "server/discover" when options.Tasks => JsonNode.Parse("""
                    {"supportedVersions":["2026-07-28"],"capabilities":{"tools":{},"extensions":{"io.modelcontextprotocol/tasks":{}}},
                     "ttlMs":0,"cacheScope":"private","resultType":"complete",
                     "_meta":{"io.modelcontextprotocol/serverInfo":{"name":"mcproxy-testserver-tasks","version":"1.0.0"}}}
                    """),
                "tasks/get" when options.Tasks => _tasks.Get((string?)prms?["taskId"]),
                "tasks/cancel" when options.Tasks => _tasks.Cancel((string?)prms?["taskId"]),
                "ping" => new JsonObject(),
                "tools/list" => ListTools(prms),
                "tools/call" => await CallToolAsync(prms, ct),
                "prompts/list" => JsonNode.Parse("""{"prompts":[{"name":"greet","description":"Greets someone","arguments":[{"name":"who","required":true}],"x-extra":1}]}"""),
                "prompts/get" => new JsonObject
                {
                    ["description"] = "a greeting",
                    ["messages"] = new JsonArray(new JsonObject
                    {
                        ["role"] = "user",
                        ["content"] = new JsonObject { ["type"] = "text", ["text"] = $"Hello {(string?)prms?["arguments"]?["who"]} from {(string?)prms?["name"]}" },
                    }),
                },
                "resources/list" => options.ConformanceFixtures ? ConformanceFixtures.Resources : JsonNode.Parse("""{"resources":[{"uri":"test://info","name":"info","mimeType":"text/plain"},{"uri":"shared://same","name":"same"}]}"""),
                "resources/templates/list" => options.ConformanceFixtures ? ConformanceFixtures.Templates : JsonNode.Parse("""{"resourceTemplates":[{"uriTemplate":"test://item/{id}","name":"item"}]}"""),
                "resources/read" when options.ConformanceFixtures => ConformanceFixtures.Read((string?)prms?["uri"]),
                "resources/read" => new JsonObject
                {
                    ["contents"] = new JsonArray(new JsonObject
                    {
                        ["uri"] = (string?)prms?["uri"], ["mimeType"] = "text/plain", ["text"] = $"content of {(string?)prms?["uri"]} from pid {Environment.ProcessId}",
                    }),
                },
                "resources/subscribe" => Subscribe(prms),
                "resources/unsubscribe" => Unsubscribe(prms),
                "completion/complete" => new JsonObject
                {
                    ["completion"] = new JsonObject
                    {
                        ["values"] = new JsonArray((string?)prms?["ref"]?["name"] ?? (string?)prms?["ref"]?["uri"]),
                        ["total"] = 1, ["hasMore"] = false,
                    },
                },
                "logging/setLevel" => SetLevel(prms),
                _ => throw new MethodNotFound(method),
            };
            if (result is null)
            {
                return;
            }
            Send(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = id.DeepClone(), ["result"] = result });
        }
        catch (MethodNotFound ex)
        {
            Console.Error.WriteLine($"testserver: unknown method {ex.Message}");
            Send(new JsonObject
            {
                ["jsonrpc"] = "2.0", ["id"] = id.DeepClone(),
                ["error"] = new JsonObject { ["code"] = -32601, ["message"] = $"Method not found: {ex.Message}" },
            });
        }
        catch (OperationCanceledException)
        {
            // Cancelled: no response, as the spec says.
        }
        catch (InvalidOperationException ex)
        {
            Send(new JsonObject
            {
                ["jsonrpc"] = "2.0", ["id"] = id.DeepClone(),
                ["error"] = new JsonObject { ["code"] = -32602, ["message"] = $"Invalid params: {ex.Message}" },
            });
        }
        finally
        {
            _inFlight.TryRemove(id.ToJsonString(), out _);
        }
    }

    private static JsonObject Initialize(JsonObject? prms) => new()
    {
        ["protocolVersion"] = (string?)prms?["protocolVersion"] ?? "2025-11-25",
        ["capabilities"] = new JsonObject
        {
            ["tools"] = new JsonObject { ["listChanged"] = true },
            ["prompts"] = new JsonObject(),
            ["resources"] = new JsonObject { ["subscribe"] = true },
            ["completions"] = new JsonObject(),
            ["logging"] = new JsonObject(),
        },
        ["serverInfo"] = new JsonObject { ["name"] = "mcproxy-testserver", ["version"] = "1.0.0" },
    };

    private JsonObject Subscribe(JsonObject? prms)
    {
        var uri = (string?)prms?["uri"];
        // Announce a change right away, so a test sees notifications/resources/updated reach the subscriber.
        _ = Task.Run(async () =>
        {
            await Task.Delay(50);
            Send(new JsonObject { ["jsonrpc"] = "2.0", ["method"] = "notifications/resources/updated", ["params"] = new JsonObject { ["uri"] = uri } });
        });
        return new JsonObject();
    }

    private static JsonObject Unsubscribe(JsonObject? prms)
    {
        Console.Error.WriteLine($"testserver: unsubscribed {(string?)prms?["uri"]}"); // so a test sees the gateway let go
        return new JsonObject();
    }

    private JsonObject SetLevel(JsonObject? prms)
    {
        var level = (string?)prms?["level"];
        Send(new JsonObject
        {
            ["jsonrpc"] = "2.0", ["method"] = "notifications/message",
            ["params"] = new JsonObject { ["level"] = "info", ["data"] = $"level set to {level}" },
        });
        return new JsonObject();
    }

    private JsonObject ListTools(JsonObject? prms)
    {
        var all = new List<JsonObject>
        {
            Tool("echo", "Echoes the message back", new JsonObject { ["message"] = new JsonObject { ["type"] = "string" } }),
            Tool("slow", "Answers after ms milliseconds", new JsonObject { ["ms"] = new JsonObject { ["type"] = "integer" } }),
            Tool("big", "Returns a text of the given size", new JsonObject { ["bytes"] = new JsonObject { ["type"] = "integer" } }),
            Tool("crash", "Exits the server with code 7", new JsonObject()),
            Tool("env", "Returns an environment variable", new JsonObject { ["name"] = new JsonObject { ["type"] = "string" } }),
            Tool("pid", "Returns the server's process id", new JsonObject()),
            Tool("progress", "Reports progress 3 times, then answers", new JsonObject()),
            Tool("ask", "Asks the client: sampling, elicitation or roots", new JsonObject { ["what"] = new JsonObject { ["type"] = "string" } }),
            RichTool(),
        };
        if (options.ListChanged)
        {
            all.Add(Tool("add_tool", "Adds a tool and sends list_changed", new JsonObject()));
        }
        if (options.Counting)
        {
            all.Add(Tool("calls", "Answers how many tools/call requests reached this process, this one included", new JsonObject()));
        }
        if (options.Tasks)
        {
            all.Add(Tool("long", "Works for ms milliseconds; a task when the client takes tasks", new JsonObject { ["ms"] = new JsonObject { ["type"] = "integer" } }));
        }
        if (options.Meta)
        {
            all.Add(Tool("meta", "Answers with the params._meta it received, as JSON text", new JsonObject()));
            all.Add(Tool("fail", "Answers with an isError result", new JsonObject()));
        }
        if (options.Hostile)
        {
            all.Add(Tool("emit", "Writes raw bytes (base64) to stdout and/or stderr, each followed by a newline unless newline=false", new JsonObject()));
            all.Add(Tool("flood", "Sends count log/progress messages of bytes each, or one stderr line of bytes", new JsonObject()));
            all.Add(Tool("escape", "Starts `setsid sleep 300`, which leaves the process group and keeps stdout/stderr open", new JsonObject()));
        }
        if (options.Limits)
        {
            all.Add(Tool("alloc", "Allocates mb MiB, touches every page and keeps it; answers after holdMs",
                new JsonObject { ["mb"] = new JsonObject { ["type"] = "integer" }, ["holdMs"] = new JsonObject { ["type"] = "integer" } }));
            all.Add(Tool("limits", "Returns the text of /proc/self/limits", new JsonObject()));
            all.Add(Tool("spin", "Burns CPU for ms milliseconds", new JsonObject { ["ms"] = new JsonObject { ["type"] = "integer" } }));
        }
        for (var i = 0; i < options.ToolCount; i++)
        {
            all.Add(Tool($"t{i}", $"Generated tool {i}", new JsonObject()));
        }
        lock (_extraTools)
        {
            all.AddRange(_extraTools.Select(t => (JsonObject)t.DeepClone()));
        }
        var start = prms?["cursor"] is { } cursor ? int.Parse((string)cursor!) : 0;
        var size = options.PageSize > 0 ? options.PageSize : all.Count;
        var page = new JsonArray(all.Skip(start).Take(size).Select(t => (JsonNode)t).ToArray());
        var result = new JsonObject { ["tools"] = page };
        if (start + size < all.Count)
        {
            result["nextCursor"] = (start + size).ToString();
        }
        return result;
    }

    private static JsonObject Tool(string name, string description, JsonObject properties) => new()
    {
        ["name"] = name,
        ["description"] = description,
        ["inputSchema"] = new JsonObject { ["type"] = "object", ["properties"] = properties },
    };

    /// <summary>A tool with every optional field of the 2025-11-25 schema, plus fields no schema knows.</summary>
    private static JsonObject RichTool() => JsonNode.Parse("""
        {"name":"rich","title":"Rich tool","description":"Has every optional field",
         "inputSchema":{"type":"object","properties":{"q":{"type":"string","description":"query"}},"required":["q"]},
         "outputSchema":{"type":"object","properties":{"answer":{"type":"number"}}},
         "annotations":{"title":"Rich","readOnlyHint":true,"destructiveHint":false,"idempotentHint":true,"openWorldHint":false},
         "icons":[{"src":"data:image/png;base64,iVBORw0KGgo=","mimeType":"image/png","sizes":["16x16"]}],
         "execution":{"taskSupport":"optional"},
         "_meta":{"vendor/key":{"nested":[1,2,3]}},
         "x-unknown-field":{"kept":true}}
        """)!.AsObject();

    private async Task<JsonNode?> CallToolAsync(JsonObject? prms, CancellationToken ct)
    {
        var count = Interlocked.Increment(ref _calls);
        if (options.CrashAfter is { } limit && count > limit)
        {
            Console.Error.WriteLine($"testserver: crashing on call {count} as asked");
            Environment.Exit(3);
        }
        var name = (string?)prms?["name"];
        var arguments = prms?["arguments"] as JsonObject ?? new JsonObject();
        switch (name)
        {
            case "echo":
                if (arguments["stderr"] is JsonValue toStderr && toStderr.GetValue<bool>())
                {
                    Console.Error.WriteLine((string?)arguments["message"] ?? ""); // also on stderr (for /health's tail)
                }
                return Text((string?)arguments["message"] ?? "");
            case "slow":
                Console.Error.WriteLine("testserver: slow call started");
                await Task.Delay((int?)arguments["ms"] ?? 1000, ct);
                return Text("slow done");
            case "big":
                return Text(new string('x', (int?)arguments["bytes"] ?? 1_000_000));
            case "crash":
                Console.Error.WriteLine("testserver: crash tool called, exiting with code 7");
                Environment.Exit(7);
                return null;
            case "env":
                return Text(Environment.GetEnvironmentVariable((string?)arguments["name"] ?? "") ?? "(unset)");
            case "pid":
                return Text(Environment.ProcessId.ToString());
            case "ask":
                var what = (string?)arguments["what"] ?? "sampling";
                var answer = what switch
                {
                    "elicitation" => await AskAsync("elicitation/create", new JsonObject
                    {
                        ["message"] = "Your name?",
                        ["requestedSchema"] = new JsonObject { ["type"] = "object", ["properties"] = new JsonObject { ["name"] = new JsonObject { ["type"] = "string" } } },
                    }),
                    "roots" => await AskAsync("roots/list", new JsonObject()),
                    "cancelled-sampling" => await AskAsync("sampling/createMessage", new JsonObject
                    {
                        ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = new JsonObject { ["type"] = "text", ["text"] = "never mind" } }),
                        ["maxTokens"] = 10,
                    }, cancelAfterMs: 300),
                    _ => await AskAsync("sampling/createMessage", new JsonObject
                    {
                        ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = new JsonObject { ["type"] = "text", ["text"] = "Say hi" } }),
                        ["maxTokens"] = 10,
                    }),
                };
                return Text(answer.ToJsonString());
            case "progress":
                var token = prms?["_meta"]?["progressToken"]?.DeepClone();
                for (var i = 1; i <= 3 && token is not null; i++)
                {
                    Send(new JsonObject
                    {
                        ["jsonrpc"] = "2.0", ["method"] = "notifications/progress",
                        ["params"] = new JsonObject { ["progressToken"] = token.DeepClone(), ["progress"] = i, ["total"] = 3 },
                    });
                }
                return Text(token is null ? "no token" : "progressed");
            case "rich":
                return JsonNode.Parse("""
                    {"content":[{"type":"text","text":"rich answer","annotations":{"audience":["user"],"priority":0.5}},
                                {"type":"image","data":"iVBORw0KGgo=","mimeType":"image/png"},
                                {"type":"audio","data":"UklGRg==","mimeType":"audio/wav"},
                                {"type":"resource_link","uri":"file:///tmp/x.txt","name":"x.txt","mimeType":"text/plain"},
                                {"type":"resource","resource":{"uri":"file:///tmp/y.txt","mimeType":"text/plain","text":"embedded"}}],
                     "structuredContent":{"answer":42},
                     "isError":false,
                     "_meta":{"vendor/trace":"abc"},
                     "x-extra":[1,{"deep":null}]}
                    """);
            case "long" when options.Tasks:
                var ms = (int?)arguments["ms"] ?? 200;
                if (prms?["_meta"]?["io.modelcontextprotocol/clientCapabilities"]?["extensions"]?["io.modelcontextprotocol/tasks"] is not null)
                {
                    return _tasks.Start(ms);
                }
                await Task.Delay(ms, ct);
                return Text("long done");
            case "calls" when options.Counting:
                return Text(count.ToString());
            case "meta" when options.Meta:
                return Text(prms?["_meta"]?.ToJsonString() ?? "{}");
            case "fail" when options.Meta:
                return new JsonObject
                {
                    ["content"] = new JsonArray(new JsonObject { ["type"] = "text", ["text"] = "failed as asked" }),
                    ["isError"] = true,
                };
            case "emit" when options.Hostile:
                var newline = (bool?)arguments["newline"] ?? true;
                if ((string?)arguments["stdout"] is { } rawOut)
                {
                    var bytes = Convert.FromBase64String(rawOut);
                    lock (_writeLock)
                    {
                        _stdout.Write(bytes);
                        if (newline) _stdout.Write("\n"u8);
                        _stdout.Flush();
                    }
                }
                if ((string?)arguments["stderr"] is { } rawErr)
                {
                    using var err = Console.OpenStandardError();
                    err.Write(Convert.FromBase64String(rawErr));
                    if (newline) err.Write("\n"u8);
                }
                return Text("emitted");
            case "flood" when options.Hostile:
                var kind = (string?)arguments["kind"] ?? "log";
                var floodCount = (int?)arguments["count"] ?? 1;
                var size = (int?)arguments["bytes"] ?? 1000;
                var filler = new string('f', size);
                if (kind == "stderr")
                {
                    using var err = Console.OpenStandardError();
                    var chunk = Encoding.ASCII.GetBytes(new string('e', Math.Min(size, 1 << 20)));
                    for (var left = size; left > 0; left -= chunk.Length)
                    {
                        err.Write(chunk, 0, Math.Min(left, chunk.Length));
                    }
                    if ((bool?)arguments["newline"] ?? false) err.Write("\n"u8);
                    return Text("flooded stderr");
                }
                var progressToken = prms?["_meta"]?["progressToken"]?.DeepClone();
                for (var i = 0; i < floodCount; i++)
                {
                    Send(kind == "progress" && progressToken is not null
                        ? new JsonObject
                        {
                            ["jsonrpc"] = "2.0", ["method"] = "notifications/progress",
                            ["params"] = new JsonObject { ["progressToken"] = progressToken.DeepClone(), ["progress"] = i, ["message"] = filler },
                        }
                        : new JsonObject
                        {
                            ["jsonrpc"] = "2.0", ["method"] = "notifications/message",
                            ["params"] = new JsonObject { ["level"] = "info", ["data"] = filler },
                        });
                }
                return Text($"flooded {floodCount}");
            case "escape" when options.Hostile:
                var escaped = Process.Start(new ProcessStartInfo("setsid", ["sleep", "300"]) { UseShellExecute = false })!;
                Console.Error.WriteLine($"testserver: escaped grandchild pid {escaped.Id}");
                return Text(escaped.Id.ToString());
            case "alloc" when options.Limits:
                var mb = (int?)arguments["mb"] ?? 100;
                for (var i = 0; i < mb; i++)
                {
                    var block = new byte[1024 * 1024];
                    for (var page = 0; page < block.Length; page += 4096)
                    {
                        block[page] = 1; // resident only once written
                    }
                    lock (_kept)
                    {
                        _kept.Add(block);
                    }
                }
                Console.Error.WriteLine($"testserver: allocated {mb} MiB");
                await Task.Delay((int?)arguments["holdMs"] ?? 0, ct); // answer later: keeps the call in flight
                return Text($"allocated {mb} MiB");
            case "limits" when options.Limits:
                return Text(File.ReadAllText("/proc/self/limits"));
            case "spin" when options.Limits:
                var spinUntil = Stopwatch.GetTimestamp() + Stopwatch.Frequency * ((int?)arguments["ms"] ?? 30_000) / 1000;
                var spins = 0L;
                while (Stopwatch.GetTimestamp() < spinUntil && !ct.IsCancellationRequested)
                {
                    spins++;
                }
                return Text($"spun {spins} times");
            case "add_tool" when options.ListChanged:
                lock (_extraTools)
                {
                    _extraTools.Add(Tool($"added_{_extraTools.Count}", "Added at runtime", new JsonObject()));
                }
                Send(new JsonObject { ["jsonrpc"] = "2.0", ["method"] = "notifications/tools/list_changed" });
                return Text("added");
            default:
                return new JsonObject
                {
                    ["content"] = new JsonArray(new JsonObject { ["type"] = "text", ["text"] = $"unknown tool {name}" }),
                    ["isError"] = true,
                };
        }
    }

    private static JsonObject Text(string text) => new()
    {
        ["content"] = new JsonArray(new JsonObject { ["type"] = "text", ["text"] = text }),
    };

    private void Send(JsonObject message) => WriteLine(Encoding.UTF8.GetBytes(message.ToJsonString()));

    private void WriteLine(byte[] bytes)
    {
        lock (_writeLock)
        {
            _stdout.Write(bytes);
            _stdout.Write("\n"u8);
            _stdout.Flush();
        }
    }

    private sealed class MethodNotFound(string method) : Exception(method);
}

/// <summary>The resources the official conformance suite reads by fixed URI (its scenarios' stated requirements).</summary>
internal static class ConformanceFixtures
{
    public static JsonNode Resources => JsonNode.Parse("""
        {"resources":[{"uri":"test://static-text","name":"static-text","mimeType":"text/plain"},
                      {"uri":"test://static-binary","name":"static-binary","mimeType":"image/png"},
                      {"uri":"test://watched-resource","name":"watched-resource","mimeType":"text/plain"}]}
        """)!;

    public static JsonNode Templates => JsonNode.Parse("""
        {"resourceTemplates":[{"uriTemplate":"test://template/{id}/data","name":"template","mimeType":"application/json"}]}
        """)!;

    public static JsonNode Read(string? uri)
    {
        JsonObject content;
        if (uri == "test://static-binary")
        {
            content = new JsonObject { ["uri"] = uri, ["mimeType"] = "image/png", ["blob"] = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==" };
        }
        else if (uri is not null && uri.StartsWith("test://template/", StringComparison.Ordinal) && uri.EndsWith("/data", StringComparison.Ordinal))
        {
            var id = uri["test://template/".Length..^"/data".Length];
            content = new JsonObject
            {
                ["uri"] = uri, ["mimeType"] = "application/json",
                ["text"] = new JsonObject { ["id"] = id, ["templateTest"] = true, ["data"] = $"Data for ID: {id}" }.ToJsonString(),
            };
        }
        else
        {
            content = new JsonObject { ["uri"] = uri, ["mimeType"] = "text/plain", ["text"] = "This is the content of the static text resource." };
        }
        return new JsonObject { ["contents"] = new JsonArray(content) };
    }
}

/// <summary>The tasks of --tasks: each completes after its time unless cancelled first.</summary>
internal sealed class TaskTable
{
    private readonly ConcurrentDictionary<string, (DateTimeOffset Created, DateTimeOffset Due, bool Cancelled)> _tasks = new();
    private int _next;

    public JsonObject Start(int ms)
    {
        var id = $"task-{Interlocked.Increment(ref _next)}-{Environment.ProcessId}";
        var now = DateTimeOffset.UtcNow;
        _tasks[id] = (now, now.AddMilliseconds(ms), false);
        var created = Shape(id, "working", now, now, null);
        created["resultType"] = "task"; // a tools/call answered with a task
        return created;
    }

    public JsonObject Get(string? id)
    {
        if (id is null || !_tasks.TryGetValue(id, out var task))
        {
            throw new InvalidOperationException($"no task {id}");
        }
        var now = DateTimeOffset.UtcNow;
        if (task.Cancelled)
        {
            return Shape(id, "cancelled", task.Created, now, null);
        }
        return now < task.Due
            ? Shape(id, "working", task.Created, now, null)
            : Shape(id, "completed", task.Created, task.Due, new JsonObject
            {
                ["content"] = new JsonArray(new JsonObject { ["type"] = "text", ["text"] = $"long done ({id})" }),
            });
    }

    public JsonObject Cancel(string? id)
    {
        if (id is null || !_tasks.TryGetValue(id, out var task))
        {
            throw new InvalidOperationException($"no task {id}");
        }
        _tasks[id] = task with { Cancelled = true };
        return Shape(id, "cancelled", task.Created, DateTimeOffset.UtcNow, null);
    }

    private static JsonObject Shape(string id, string status, DateTimeOffset created, DateTimeOffset updated, JsonObject? result)
    {
        var shape = new JsonObject
        {
            ["resultType"] = "complete",
            ["taskId"] = id, ["status"] = status,
            ["createdAt"] = created.ToString("O"), ["lastUpdatedAt"] = updated.ToString("O"), ["pollIntervalMs"] = 50,
        };
        if (result is not null)
        {
            shape["result"] = result;
        }
        return shape;
    }
}
