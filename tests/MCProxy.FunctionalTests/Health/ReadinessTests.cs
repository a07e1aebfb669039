using System.Net;
using System.Text.Json.Nodes;
using MCProxy.FunctionalTests.Infrastructure;
using MCProxy.Health;
using Microsoft.Extensions.DependencyInjection;

namespace MCProxy.FunctionalTests.Health;

/// <summary>GET /health?ready: the form for probes that read only the status code (Kubernetes' httpGet readiness).</summary>
public sealed class ReadinessTests
{
    [Fact]
    public async Task ReadyQuery_Is503WhileStarting_Then200_AndPlainHealthIsAlways200()
    {
        // A server that never answers its handshake holds the first start for its 6 s timeout.
        await using var gateway = await GatewayFixture.StartAsync(TestServers.Config(
            TestServers.Entry("fine"), TestServers.Entry("hang", 6, "--hang-initialize")), waitUntilReady: false);
        using (var starting = await gateway.Http.GetAsync("/health?ready"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, starting.StatusCode);
            var body = JsonNode.Parse(await starting.Content.ReadAsStringAsync())!;
            Assert.Equal("starting", (string?)body["status"]);
            Assert.False((bool)body["ready"]!);
        }
        using (var plain = await gateway.Http.GetAsync("/health"))
        {
            Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
        }
        // Once the first start settles (here: the server's handshake given up), ready for good.
        await gateway.Services.GetRequiredService<GatewayReadiness>().WhenReady.WaitAsync(TimeSpan.FromSeconds(60));
        using var ready = await gateway.Http.GetAsync("/health?ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }
}
