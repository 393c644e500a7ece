// SCRAM against the published test vectors: RFC 7677 §3 (SHA-256),
// RFC 5802 §5 (SHA-1), and the MongoDB Driver Authentication spec's
// SCRAM-SHA-1 conversation (which hashes the password MongoDB's way first).
#include "probes/mongodb/mongodb_auth.h"

#include <gtest/gtest.h>

namespace plprobe::probes::mongodb {
namespace {

TEST(MongoScram, Rfc7677Sha256Vector) {
  ScramClient client(ScramHash::sha256, "user", "pencil", "rOprNGfwEbeRWgbNEkqO");
  EXPECT_EQ(client.client_first(), "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
  std::string error;
  const auto final_message = client.client_final(
      "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", error);
  ASSERT_TRUE(final_message) << error;
  EXPECT_EQ(*final_message,
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
  EXPECT_TRUE(client.verify_server_final("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=", error)) << error;
}

TEST(MongoScram, Rfc5802Sha1Vector) {
  ScramClient client(ScramHash::sha1, "user", "pencil", "fyko+d2lbbFgONRv9qkxdawL");
  std::string error;
  const auto final_message =
      client.client_final("r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096", error);
  ASSERT_TRUE(final_message) << error;
  EXPECT_EQ(*final_message, "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=");
  EXPECT_TRUE(client.verify_server_final("v=rmF9pqV8S7suAoZWja4dJRkFsKQ=", error)) << error;
}

TEST(MongoScram, MongodbSha1HashesThePasswordFirst) {
  // Driver Authentication spec, SCRAM-SHA-1 test vector: user "user", password "pencil".
  EXPECT_EQ(mongodb_password(ScramHash::sha1, "user", "pencil"), "1c33006ec1ffd90f9cadcbcc0e118200");
  EXPECT_EQ(mongodb_password(ScramHash::sha256, "user", "pencil"), "pencil");
  ScramClient client(ScramHash::sha1, "user", mongodb_password(ScramHash::sha1, "user", "pencil"),
                     "fyko+d2lbbFgONRv9qkxdawL");
  std::string error;
  const auto final_message = client.client_final(
      "r=fyko+d2lbbFgONRv9qkxdawLHo+Vgk7qvUOKUwuWLIWg4l/9SraGMHEE,s=rQ9ZY3MntBeuP3E1TDVC4w==,i=10000", error);
  ASSERT_TRUE(final_message) << error;
  EXPECT_EQ(*final_message, "c=biws,r=fyko+d2lbbFgONRv9qkxdawLHo+Vgk7qvUOKUwuWLIWg4l/9SraGMHEE,p=MC2T8BvbmWRckDw8oWl5IVghwCY=");
  EXPECT_TRUE(client.verify_server_final("v=UMWeI25JD1yNYZRMpZ4VHvhZ9e0=", error)) << error;
}

TEST(MongoScram, RefusesAForgedServer) {
  std::string error;
  ScramClient nonce_check(ScramHash::sha256, "user", "pencil", "rOprNGfwEbeRWgbNEkqO");
  EXPECT_FALSE(nonce_check.client_final("r=someoneelse,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", error));
  EXPECT_NE(error.find("nonce"), std::string::npos) << error;

  ScramClient too_cheap(ScramHash::sha256, "user", "pencil", "abc");
  EXPECT_FALSE(too_cheap.client_final("r=abcdef,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=10", error));
  EXPECT_NE(error.find("iterations"), std::string::npos) << error;
  ScramClient too_costly(ScramHash::sha256, "user", "pencil", "abc");
  EXPECT_FALSE(too_costly.client_final("r=abcdef,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=100000000", error));

  ScramClient wrong_signature(ScramHash::sha256, "user", "pencil", "rOprNGfwEbeRWgbNEkqO");
  ASSERT_TRUE(wrong_signature.client_final(
      "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", error));
  EXPECT_FALSE(wrong_signature.verify_server_final("v=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", error));
  EXPECT_FALSE(wrong_signature.verify_server_final("e=invalid-proof", error));
  EXPECT_NE(error.find("invalid-proof"), std::string::npos) << error;
}

TEST(MongoScram, EscapesUserNamesAndMakesFreshNonces) {
  ScramClient escaped(ScramHash::sha256, "a=b,c", "x", "nonce");
  EXPECT_EQ(escaped.client_first(), "n,,n=a=3Db=2Cc,r=nonce");
  ScramClient one(ScramHash::sha256, "u", "p");
  ScramClient two(ScramHash::sha256, "u", "p");
  EXPECT_NE(one.client_first(), two.client_first());
  EXPECT_EQ(one.client_first().size(), std::string("n,,n=u,r=").size() + 32) << "24 random bytes in base64";
}

TEST(MongoScram, ChoosesTheMechanismLikeADriver) {
  EXPECT_EQ(choose_mechanism({"SCRAM-SHA-1", "SCRAM-SHA-256"}, 21), ScramHash::sha256);
  EXPECT_EQ(choose_mechanism({"SCRAM-SHA-1"}, 21), ScramHash::sha1);
  EXPECT_EQ(choose_mechanism({}, 21), ScramHash::sha256);
  EXPECT_EQ(choose_mechanism({}, 6), ScramHash::sha1) << "SCRAM-SHA-256 came with MongoDB 4.0 (wire 7)";
  EXPECT_FALSE(choose_mechanism({"PLAIN", "MONGODB-AWS"}, 21));
}

TEST(MongoScram, Base64RoundTripsAndRefusesJunk) {
  EXPECT_EQ(base64_encode("pencil"), "cGVuY2ls");
  EXPECT_EQ(base64_decode("cGVuY2ls"), "pencil");
  EXPECT_EQ(base64_decode("cGVuY2lsMQ=="), "pencil1");
  EXPECT_FALSE(base64_decode("cGVu*2ls"));
  EXPECT_FALSE(base64_decode("cGV"));
  EXPECT_FALSE(base64_decode("c=Vu"));
}

}  // namespace
}  // namespace plprobe::probes::mongodb
