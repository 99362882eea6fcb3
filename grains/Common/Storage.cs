namespace SupplyChain.Grains;

/// <summary>Names of the grain-storage providers the silo must register.</summary>
public static class Storage
{
    public const string Name = "platform";
}
