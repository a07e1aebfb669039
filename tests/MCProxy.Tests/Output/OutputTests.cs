using System.Text;
using System.Text.Json.Nodes;
using MCProxy.Configuration;
using MCProxy.Output;
using MCProxy.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace MCProxy.Tests.Output;

/// <summary>The output cap, the spill store and the redactor, on their own.</summary>
public sealed class OutputTests
{
    private static ReadOnlyMemory<byte> Json(string text) => Encoding.UTF8.GetBytes(text);

    private static JsonObject Parse(ReadOnlyMemory<byte> json) => JsonNode.Parse(json.Span)!.AsObject();

    [Fact]
    public void Cap_LeavesAResultWithinTheCapUntouched_ByteForByte()
    {
        var result = Json("""{"content":[{"type":"text","text":"small"}],"x-extra":1}""");
        Assert.True(OutputCap.Apply(result, 2048, () => throw new InvalidOperationException("no spill")).Span.SequenceEqual(result.Span));
    }

    [Fact]
    public void Cap_DropsImagesFirst_CutsText_KeepsUnknownMembers_AndAddsANoteAndALinkWithin512Bytes()
    {
        var image = new string('A', 3000);
        var text = new string('t', 3000);
        var result = Json($$$"""{"content":[{"type":"image","data":"{{{image}}}","mimeType":"image/png"},{"type":"text","text":"{{{text}}}"}],"isError":false,"_meta":{"k":1}}""");
        var capped = Parse(OutputCap.Apply(result, 2048, () => "mcproxy://results/abc"));
        var content = capped["content"]!.AsArray();
        Assert.Equal("text", (string)content[0]!["type"]!); // the image went first
        Assert.StartsWith("ttt", (string)content[0]!["text"]!);
        Assert.True(Encoding.UTF8.GetByteCount(content[0]!.ToJsonString()) <= 2048);
        var note = (string)content[1]!["text"]!;
        Assert.Contains("1 image or audio item", note);
        Assert.Equal("mcproxy://results/abc", (string)content[2]!["uri"]!);
        Assert.True(Encoding.UTF8.GetByteCount(content[1]!.ToJsonString()) + Encoding.UTF8.GetByteCount(content[2]!.ToJsonString()) <= OutputCap.NoteBudget);
        Assert.Equal(1, (int)capped["_meta"]!["k"]!);
        Assert.False((bool)capped["isError"]!);
    }

    [Fact]
    public void Cap_KeepsStructuredContentThatFits_AndReplacesItWithTheLinkWhenItDoesNot()
    {
        var small = Json($$$"""{"content":[{"type":"text","text":"{{{new string('x', 5000)}}}"}],"structuredContent":{"n":1}}""");
        Assert.Equal(1, (int)Parse(OutputCap.Apply(small, 2048, () => "mcproxy://results/a"))["structuredContent"]!["n"]!);
        var large = Json($$$"""{"content":[{"type":"text","text":"short"}],"structuredContent":{"blob":"{{{new string('y', 5000)}}}"}}""");
        var capped = Parse(OutputCap.Apply(large, 2048, () => "mcproxy://results/b"));
        Assert.False(capped.ContainsKey("structuredContent"));
        Assert.Contains("structuredContent among them", capped["content"]!.ToJsonString());
        Assert.Equal("short", (string)capped["content"]![0]!["text"]!);
    }

    [Fact]
    public void Cap_NeverCutsInsideACharacter()
    {
        var result = Json($$$"""{"content":[{"type":"text","text":"{{{string.Concat(Enumerable.Repeat("😀é", 3000))}}}"}]}""");
        var kept = (string)Parse(OutputCap.Apply(result, 1500, () => null))["content"]![0]!["text"]!;
        Assert.DoesNotContain('\uFFFD', kept);
        Assert.True(Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(kept)) == kept && kept.Length > 100);
    }

    [Fact]
    public void Spill_IsReadableByItsOwnerOnly_UntilItsTtl_AndOverflowsFromMemoryToDisk()
    {
        var time = new FakeTimeProvider();
        using var store = new SpillStore(time, NullLogger<SpillStore>.Instance);
        var dir = Directory.CreateTempSubdirectory("mcproxy-spill-test-").FullName;
        store.Update(new SpillConfig(TimeSpan.FromMinutes(10), MaxMemoryBytes: 100, MaxDiskBytes: 250, dir));
        var first = store.Store("alice", new byte[80])!;
        Assert.NotNull(store.Read("alice", first));
        Assert.Null(store.Read("bob", first)); // someone else's result does not exist
        var second = store.Store("alice", new byte[80])!; // memory holds 100: the first moves to disk
        Assert.Equal(80, store.MemoryBytes);
        Assert.Equal(80, store.DiskBytes);
        Assert.Equal(80, store.Read("alice", first)!.Length); // still readable, from disk
        Assert.Null(store.Store("alice", new byte[300])); // fits neither
        store.Store("alice", new byte[200]); // on disk; the oldest there (first) is dropped for room
        Assert.Null(store.Read("alice", first));
        Assert.NotNull(store.Read("alice", second));
        time.Advance(TimeSpan.FromMinutes(11));
        Assert.Null(store.Read("alice", second)); // expired
        Assert.Equal(0, store.Count);
        Assert.Empty(Directory.GetFiles(dir, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public void Redactor_MasksBuiltinsLiteralSecretsAndCustomRules_InStringValuesOnly_AndCountsThem()
    {
        var redactor = Redactor.For(new RedactionConfig(true, []),
            new RedactionConfig(false, [new RedactionRule(new System.Text.RegularExpressions.Regex("ticket-[0-9]+"), "ticket-#")]),
            ["configured-secret-0123456789"]);
        var json = Json("""{"content":[{"type":"text","text":"AKIAIOSFODNN7EXAMPLE configured-secret-0123456789 ticket-42"}],"AKIAIOSFODNN7EXAMPLE":1,"data":"ghp_abcdefghijklmnopqrstuvwxyz0123456789"}""");
        var count = 0;
        var redacted = Encoding.UTF8.GetString(redactor.RedactJson(json, ref count).Span);
        Assert.Equal(3, count);
        Assert.Contains("[REDACTED AWS KEY] [REDACTED] ticket-#", redacted);
        Assert.Contains("\"AKIAIOSFODNN7EXAMPLE\":1", redacted); // keys are not content
        Assert.Contains("ghp_abcdefghij", redacted); // base64 data fields are skipped
        var clean = Json("""{"content":[{"type":"text","text":"nothing here"}]}""");
        var none = 0;
        Assert.True(redactor.RedactJson(clean, ref none).Span.SequenceEqual(clean.Span)); // untouched bytes when nothing matched
        Assert.True(Redactor.For(RedactionConfig.Off, RedactionConfig.Off, ["configured-secret-0123456789"]).IsNone);
    }
}
