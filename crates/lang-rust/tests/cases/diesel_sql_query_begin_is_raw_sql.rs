use diesel::prelude::*;
use diesel::sql_query;

pub fn add_user(conn: &mut PgConnection, name: &str) -> QueryResult<()> {
    conn.transaction(|conn| {
        diesel::insert_into(users::table).values(users::name.eq(name)).execute(conn)?;
        diesel::update(stats::table).set(stats::users.eq(stats::users + 1)).execute(conn)?;
        Ok(())
    })
}

pub fn add_user_by_hand(conn: &mut PgConnection, name: &str) -> QueryResult<()> {
    sql_query("BEGIN").execute(conn)?;
    diesel::insert_into(users::table).values(users::name.eq(name)).execute(conn)?;
    sql_query("COMMIT").execute(conn)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds() {
        let mut conn = establish();
        conn.begin_test_transaction().unwrap();
        add_user(&mut conn, "ann").unwrap();
    }
}
