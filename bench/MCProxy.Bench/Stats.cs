namespace MCProxy.Bench;

/// <summary>Percentiles of a latency sample, in milliseconds.</summary>
internal sealed record Stats(double P50, double P90, double P99, int Count)
{
    public static Stats Of(List<double> samples)
    {
        samples.Sort();
        double At(double q) => samples[Math.Min(samples.Count - 1, (int)Math.Floor(q * samples.Count))];
        return new Stats(At(0.50), At(0.90), At(0.99), samples.Count);
    }
}
