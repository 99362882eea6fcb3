using SupplyChain.Grains.Common;

namespace SupplyChain.Tests.Unit;

public sealed class MoneyTests
{
    [Theory]
    [InlineData("0.01", 1)]
    [InlineData("1", 100)]
    [InlineData("1.5", 150)]
    [InlineData("123456.78", 12345678)]
    [InlineData("1000000000000", 100000000000000)]
    [InlineData("1000000000000.00", 100000000000000)]
    public void TryFromYuan_ValidAmount_IsExactFen(string yuan, long fen)
    {
        Assert.True(Money.TryFromYuan(decimal.Parse(yuan), out var money, out _));
        Assert.Equal(fen, money.Fen);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-0.01")]
    [InlineData("-5")]
    [InlineData("0.001")]
    [InlineData("1.005")]
    [InlineData("1000000000000.01")]
    [InlineData("99999999999999")]
    public void TryFromYuan_InvalidAmount_IsRefused(string yuan)
    {
        Assert.False(Money.TryFromYuan(decimal.Parse(yuan), out _, out var error));
        Assert.NotNull(error);
    }

    [Fact]
    public void Yuan_AlwaysHasTwoDecimals()
    {
        Assert.Equal("100.00", new Money(10000).Yuan.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("0.05", new Money(5).Yuan.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Arithmetic_IsExact()
    {
        var sum = Money.FromYuan(0.1m) + Money.FromYuan(0.2m);
        Assert.Equal(Money.FromYuan(0.3m), sum);
        Assert.Equal(Money.FromYuan(0.1m), sum - Money.FromYuan(0.2m));
    }
}
