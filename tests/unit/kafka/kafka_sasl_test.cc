// SASL client messages against the RFCs' own test vectors. librdkafka's
// mock cluster has no SASL, so these vectors (and fake_broker.h, whose
// SCRAM server side is separate code) are what proves the SCRAM client.
#include "probes/kafka/kafka_sasl.h"

#include <gtest/gtest.h>

namespace plprobe::probes::kafka {
namespace {

TEST(ScramClient, ReproducesRfc5802Sha1Example) {
  // RFC 5802 §5: user "user", password "pencil".
  ScramClient client(ScramHash::sha1, "user", "pencil", "fyko+d2lbbFgONRv9qkxdawL");
  EXPECT_EQ(client.client_first(), "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL");
  std::string error;
  auto final_message =
      client.client_final("r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096", error);
  ASSERT_TRUE(final_message) << error;
  EXPECT_EQ(*final_message, "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=");
  EXPECT_TRUE(client.verify_server_final("v=rmF9pqV8S7suAoZWja4dJRkFsKQ=", error)) << error;
}

TEST(ScramClient, ReproducesRfc7677Sha256Example) {
  // RFC 7677 §3.
  ScramClient client(ScramHash::sha256, "user", "pencil", "rOprNGfwEbeRWgbNEkqO");
  EXPECT_EQ(client.client_first(), "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
  std::string error;
  auto final_message = client.client_final(
      "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", error);
  ASSERT_TRUE(final_message) << error;
  EXPECT_EQ(*final_message,
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
            "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
  EXPECT_TRUE(client.verify_server_final("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=", error)) << error;
}

TEST(ScramClient, MatchesAnIndependentSha512Computation) {
  // No RFC publishes a SHA-512 vector; this one was computed with Python's
  // hashlib.pbkdf2_hmac and hmac over RFC 7677's inputs (the same script
  // reproduces both RFC vectors above).
  ScramClient client(ScramHash::sha512, "user", "pencil", "rOprNGfwEbeRWgbNEkqO");
  std::string error;
  auto final_message = client.client_final(
      "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", error);
  ASSERT_TRUE(final_message) << error;
  EXPECT_EQ(*final_message,
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
            "p=gMGXRcevScNtxZ6/8lQYpGtnsNAc3mGcmNomv+xnoOMw+3R2xNJdMNnzMlTN8PPC6wdp6dybEmDYXYTxwnYPJQ==");
  EXPECT_TRUE(client.verify_server_final(
      "v=ZQnYEgWQMFmmsM8aQMF0nDDCy/AgCzkwk8CmMZYcMg0vSVlKDanekLtifDSeVGT4+5ZxXnJq199RVG2rR7N7Zw==", error))
      << error;
}

TEST(ScramClient, RejectsAServerSignatureThatDoesNotMatch) {
  ScramClient client(ScramHash::sha256, "user", "pencil", "rOprNGfwEbeRWgbNEkqO");
  std::string error;
  ASSERT_TRUE(client.client_final(
      "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", error));
  EXPECT_FALSE(client.verify_server_final("v=7rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=", error));
  EXPECT_NE(error.find("signature"), std::string::npos) << error;
  EXPECT_FALSE(client.verify_server_final("e=invalid-proof", error));
  EXPECT_NE(error.find("invalid-proof"), std::string::npos) << error;
  EXPECT_FALSE(client.verify_server_final("v=not base64!", error));
}

TEST(ScramClient, RefusesAServerNonceThatDoesNotExtendOurs) {
  ScramClient client(ScramHash::sha256, "user", "pencil", "abc");
  std::string error;
  EXPECT_FALSE(client.client_final("r=xyzabc,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", error));
  EXPECT_NE(error.find("nonce"), std::string::npos) << error;
  EXPECT_FALSE(client.client_final("r=abc,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", error)) << "nothing added by the server";
}

TEST(ScramClient, RefusesIterationCountsOutsideKafkasBounds) {
  std::string error;
  for (const char* count : {"1", "4095", "16385", "2147483647", "99999999999999999999", "-4096", "4096x"}) {
    ScramClient client(ScramHash::sha256, "user", "pencil", "abc");
    EXPECT_FALSE(client.client_final(std::string("r=abcdef,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=") + count, error)) << count;
  }
  ScramClient client(ScramHash::sha256, "user", "pencil", "abc");
  EXPECT_TRUE(client.client_final("r=abcdef,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=16384", error)) << error;
}

TEST(ScramClient, RefusesMalformedServerFirstMessages) {
  std::string error;
  for (const char* message : {"", "garbage", "m=ext,r=abcdef,s=QSXCR+Q6sek8bf92,i=4096", "r=abcdef,i=4096",
                              "r=abcdef,s=!!!,i=4096", "r=abcdef,s=QSXCR+Q6sek8bf92"}) {
    ScramClient client(ScramHash::sha256, "user", "pencil", "abc");
    EXPECT_FALSE(client.client_final(message, error)) << message;
    EXPECT_FALSE(error.empty());
  }
}

TEST(ScramClient, EscapesCommasAndEqualsInUserNames) {
  // RFC 5802 §5.1.
  ScramClient client(ScramHash::sha256, "a=b,c", "pw", "n0nce");
  EXPECT_EQ(client.client_first(), "n,,n=a=3Db=2Cc,r=n0nce");
}

TEST(ScramClient, PicksAFreshRandomNonceByDefault) {
  ScramClient first(ScramHash::sha512, "user", "pw");
  ScramClient second(ScramHash::sha512, "user", "pw");
  EXPECT_NE(first.client_first(), second.client_first());
  EXPECT_GE(first.client_first().size(), std::string("n,,n=user,r=").size() + 32);
}

TEST(Sasl, PlainInitialResponseIsNulSeparated) {
  // RFC 4616 §2: [authzid] NUL authcid NUL passwd.
  EXPECT_EQ(plain_initial_response("alice", "s3cret"), std::string("\0alice\0s3cret", 13));
}

TEST(Sasl, MechanismNamesMapToHashes) {
  EXPECT_EQ(scram_hash_for("SCRAM-SHA-256"), ScramHash::sha256);
  EXPECT_EQ(scram_hash_for("SCRAM-SHA-512"), ScramHash::sha512);
  EXPECT_FALSE(scram_hash_for("PLAIN"));
  EXPECT_FALSE(scram_hash_for("scram-sha-256")) << "the CLI upper-cases; the probe takes Kafka's spelling";
}

TEST(Sasl, Base64RoundTripsAndRejectsJunk) {
  for (const std::string text : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    EXPECT_EQ(base64_decode(base64_encode(text)), text);
  }
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");  // RFC 4648 §10
  EXPECT_FALSE(base64_decode("Zm9"));
  EXPECT_FALSE(base64_decode("Zm=v"));
  EXPECT_FALSE(base64_decode("Zm9v YmFy"));
}

}  // namespace
}  // namespace plprobe::probes::kafka
