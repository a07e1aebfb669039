using MCProxy.Admin;

namespace MCProxy.Tests.Admin;

public class AdminSocketTests
{
    [Fact]
    public void ForDaemon_RuntimeDirectory_Wins()
    {
        Assert.Equal("/run/x/mcproxy.sock", AdminSocketPath.ForDaemon("/run/x:/run/y", "/run/user/5", 5, out var note));
        Assert.Null(note);
    }

    [Fact]
    public void Candidates_FollowTheDaemonsOrder()
    {
        Assert.Equal(["/run/x/mcproxy.sock", "/run/mcproxy/mcproxy.sock", "/run/user/5/mcproxy/mcproxy.sock", Path.Combine(Path.GetTempPath(), "mcproxy-5", "mcproxy.sock")],
            AdminSocketPath.Candidates("/run/x", "/run/user/5", 5));
        Assert.Equal(Path.Combine(Path.GetTempPath(), "mcproxy-7", "mcproxy.sock"), AdminSocketPath.PerUser(null, 7));
    }

    [Fact]
    public void Prepare_StaleFileReplaced_SecondOwnerRefused_LongPathRefused()
    {
        var dir = Directory.CreateTempSubdirectory("mcproxy-admin-").FullName;
        try
        {
            var path = Path.Combine(dir, "sub", "mcproxy.sock");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, "left over by a crash");
            var first = AdminSocket.Prepare(path);
            Assert.True(first.Listens, first.Problem);
            Assert.False(File.Exists(path));
            var second = AdminSocket.Prepare(path);
            Assert.False(second.Listens);
            Assert.Contains("in use by another running gateway", second.Problem);
            first.Remove();
            Assert.True(AdminSocket.Prepare(path).Listens); // the lock went with the first

            var tooLong = AdminSocket.Prepare(Path.Combine(dir, new string('a', 120), "mcproxy.sock"));
            Assert.Contains("longer than a unix socket path", tooLong.Problem);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
